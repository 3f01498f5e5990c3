import type { z } from 'zod';
import { fixPlanSchema, type FixPlan, type Operation } from '../../fixPlan';

/**
 * Reading the model's answer: strip a markdown code fence, JSON.parse, the FixPlan schema, then
 * what only the workspace can tell: every file exists (or its operation creates it), and every
 * `find` snippet occurs exactly once in its file (after the plan's earlier edits of that file).
 * Errors are plain sentences, located by their JSON path, fit to be sent back to the model.
 */

export interface PlanTarget {
  /** Workspace-relative paths of the workspace's files. */
  files: readonly string[];
  read(file: string): Promise<string | undefined>;
  maxOperations: number;
}

export type ParsedOutput = { ok: true; plan: FixPlan } | { ok: false; errors: string[] };

/** Operation types that may create their file (a dependency manifest). */
const CREATES_FILE = new Set<Operation['type']>(['add_dependency']);

/** The JSON inside a markdown code fence, when the answer is (or holds) one; else the answer. */
export function stripCodeFence(text: string): string {
  const trimmed = text.trim();
  const whole = /^```[\w-]*[ \t]*\r?\n([\s\S]*?)\r?\n?```$/.exec(trimmed);
  if (whole) return whole[1]!.trim();
  const inner = /```[\w-]*[ \t]*\r?\n([\s\S]*?)\r?\n?```/.exec(trimmed);
  if (inner && !trimmed.startsWith('{')) return inner[1]!.trim();
  return trimmed;
}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : `${out ? '.' : ''}${String(seg)}`;
  return out || '(the plan)';
}

function issueText(issue: z.core.$ZodIssue): string {
  return `${pathText(issue.path)}: ${issue.message}`;
}

function occurrences(text: string, find: string): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(find); i !== -1; i = text.indexOf(find, i + 1)) at.push(i);
  return at;
}

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function findHint(text: string, find: string): string {
  if (/^\s*>?\s*\d+ \| /m.test(find)) return ' (leave out the "NN | " line-number prefixes of the excerpts)';
  if (text.includes('\r\n') && !find.includes('\r\n') && find.includes('\n') && text.includes(find.replace(/\n/g, '\r\n'))) {
    return ' (the file uses CRLF line endings: write "\\r\\n" between lines)';
  }
  if (text.includes(find.trim()) && find.trim() !== find) return ' (check the leading and trailing whitespace)';
  return ' (copy it exactly from the file, whitespace and line breaks included)';
}

/** Parse and check the model's answer against the schema and the workspace. */
export async function parsePlanOutput(output: string, target: PlanTarget): Promise<ParsedOutput> {
  const body = stripCodeFence(output);
  if (!body) return { ok: false, errors: ['the answer is empty; expected one FixPlan JSON object'] };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { ok: false, errors: [`the answer is not valid JSON: ${(err as Error).message}`] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, errors: [`the answer is ${Array.isArray(json) ? 'a list' : `a ${json === null ? 'null' : typeof json}`}; expected one FixPlan JSON object`] };
  }
  const parsed = fixPlanSchema.safeParse(json);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map(issueText) };
  const plan = parsed.data;

  const errors: string[] = [];
  if (plan.operations.length > target.maxOperations) {
    errors.push(`operations: ${plan.operations.length} operations; at most ${target.maxOperations} are allowed`);
  }

  const known = new Set(target.files);
  const texts = new Map<string, string | undefined>();
  const readOnce = async (file: string) => {
    if (!texts.has(file)) texts.set(file, await target.read(file));
    return texts.get(file);
  };
  for (const [i, file] of plan.files.entries()) {
    const exists = known.has(file) || (await readOnce(file)) !== undefined;
    if (exists) continue;
    const creator = plan.operations.find((op) => op.file === file && CREATES_FILE.has(op.type));
    if (!creator) errors.push(`files[${i}]: "${file}" does not exist in the workspace`);
  }

  // `find` snippets, checked against each file as the plan's earlier operations leave it.
  const current = new Map<string, string>();
  for (const [i, op] of plan.operations.entries()) {
    if (op.type !== 'modify_code' && op.type !== 'replace_pattern') continue;
    if (!current.has(op.file)) {
      const text = await readOnce(op.file);
      if (text === undefined) continue; // already reported as missing
      current.set(op.file, text);
    }
    const text = current.get(op.file)!;
    const at = occurrences(text, op.details.find);
    const where = `operations[${i}].details.find (${op.type} on ${op.file})`;
    if (at.length === 1) {
      current.set(op.file, text.slice(0, at[0]) + op.details.replace + text.slice(at[0]! + op.details.find.length));
    } else if (at.length === 0) {
      errors.push(`${where}: the snippet does not occur in the file${findHint(text, op.details.find)}`);
    } else {
      const lines = at.slice(0, 5).map((x) => lineOf(text, x));
      errors.push(
        `${where}: the snippet occurs ${at.length} times (at lines ${lines.join(', ')}${at.length > 5 ? ', ...' : ''}); it must occur exactly once: include more of the surrounding lines`,
      );
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, plan };
}
