import type { z } from 'zod';
import { sha256 } from '../files/hash';
import { knownFixes, knownLabel } from '../learn/known';
import type { NoPlan, Planner, PlannedFix, PlanningContext } from '../contracts';
import { fixPlanSchema, MAX_OPERATIONS, workspacePath, type FixPlan } from '../fixPlan';

export * from '../fixPlan';
export { rulesPlanner } from './rulesPlanner';

/**
 * Reading FixPlans and choosing one: `parsePlan` turns JSON text or a value into a normalised
 * FixPlan or a list of messages that each name the JSON path at fault; `planCandidates` asks the
 * planners in order and yields each plan that parses, with the hash of every plan file;
 * `planViolation` takes the first.
 */

export type ParsedPlan = { ok: true; plan: FixPlan } | { ok: false; errors: string[] };

/** Parse a FixPlan from JSON text or an already-parsed value. Never throws. */
export function parsePlan(json: unknown): ParsedPlan {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (err) {
      return { ok: false, errors: [jsonErrorMessage(json, err as Error)] };
    }
  }
  const result = fixPlanSchema.safeParse(value);
  if (result.success) return { ok: true, plan: result.data };
  const errors = [...result.error.issues.map((i) => formatIssue(i, value)), ...crossChecks(value)];
  return { ok: false, errors: [...new Set(errors)] };
}

/** `operations[2].file` from a zod path. */
export function formatJsonPath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of p) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out || '(root)';
}

function valueAt(root: unknown, p: ReadonlyArray<PropertyKey>): unknown {
  let v = root;
  for (const key of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function formatIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const where = formatJsonPath(issue.path);
  const got = valueAt(root, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'too_big':
      if (issue.origin === 'array' && issue.path.length === 1 && issue.path[0] === 'operations') {
        return `operations: at most ${MAX_OPERATIONS} operations (got ${Array.isArray(got) ? got.length : '?'})`;
      }
      if (issue.origin === 'number') return `${where}: must be at most ${String(issue.maximum)} (got ${show(got)})`;
      return `${where}: ${issue.message}`;
    case 'too_small':
      if (issue.origin === 'number') return `${where}: must be at least ${String(issue.minimum)} (got ${show(got)})`;
      if (issue.origin === 'array') return `${where}: needs at least ${String(issue.minimum)} entr${issue.minimum === 1 ? 'y' : 'ies'}`;
      if (issue.origin === 'string') return `${where}: must not be empty`;
      return `${where}: ${issue.message}`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        return `${where}: unknown operation type ${show(got)} (expected one of ${options.join(', ')})`;
      }
      return `${where}: ${issue.message}`;
    case 'invalid_type':
      return got === undefined ? `${where}: missing (expected ${issue.expected})` : `${where}: expected ${issue.expected}, got ${show(got)}`;
    case 'invalid_value':
      return `${where}: ${show(got)} is not one of ${issue.values.map((v) => show(v)).join(', ')}`;
    case 'custom':
      return /^".*"/.test(issue.message) ? `${where}: ${issue.message}` : `${where}: ${show(got)} is not ${issue.message}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

/**
 * The checks across fields (duplicate files, operations on files not listed) only run in the
 * schema when everything else is valid; run them on the raw value too, so one answer lists all.
 */
function crossChecks(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [];
  const { files, operations } = value as { files?: unknown; operations?: unknown };
  if (!Array.isArray(files)) return [];
  const errors: string[] = [];
  const seen = new Set<string>();
  files.forEach((f, i) => {
    const parsed = workspacePath.safeParse(f);
    if (!parsed.success) return;
    if (seen.has(parsed.data)) errors.push(`files[${i}]: "${parsed.data}" is listed twice`);
    seen.add(parsed.data);
  });
  if (Array.isArray(operations)) {
    operations.forEach((op, i) => {
      const file = workspacePath.safeParse((op as { file?: unknown } | null)?.file);
      if (file.success && !seen.has(file.data)) errors.push(`operations[${i}].file: "${file.data}" is not in files`);
    });
  }
  return errors;
}

// ---------------------------------------------------------------- JSON errors with a position

function jsonErrorMessage(text: string, err: Error): string {
  const at = /at position (\d+)/.exec(err.message);
  const offset = at ? Number(at[1]) : locateJsonError(text);
  const { line, column } = lineColumn(text, offset);
  const reason = err.message.replace(/\s*in JSON at position \d+.*$/s, '').replace(/, (\.\.\.)?".*" is not valid JSON$/s, '');
  return `invalid JSON at line ${line}, column ${column} (offset ${offset}): ${reason}`;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** The offset of the first character a JSON parser would reject (text.length when the text ends early). */
export function locateJsonError(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && /[ \t\r\n]/.test(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    for (const ch of word) if (text[i++] !== ch) (i--, fail());
  };
  const string = () => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) ((i += k), fail());
          i += 4;
        } else if (!/["\\/bfnrt]/.test(text[i] ?? '')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === '' || m[0] === '-') fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') return void i++;
        fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') return void i++;
        fail();
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    return number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return text.length;
  } catch (pos) {
    return Math.min(pos as number, text.length);
  }
}

// ---------------------------------------------------------------- the planner chain

export interface TriedPlanner extends NoPlan {
  planner: string;
}

export type PlanViolationResult = { fix: PlannedFix } | { noPlan: NoPlan & { tried: TriedPlanner[] } };

/**
 * Ask each planner in order (learned fixes, anti-patterns, rules, then an LLM when configured) and
 * yield every plan that the schema accepts, a planner's plans in its order, each with the sha256
 * of each plan file as it is now (null for a file that does not exist). A planner is only asked
 * when the candidates before it have been taken, so stopping early leaves later planners (the
 * LLM's network call) alone. Last comes a NoPlan with what each planner without a valid plan said.
 */
export async function* planCandidates(ctx: PlanningContext, planners: Planner[]): AsyncGenerator<PlanViolationResult, void, undefined> {
  const tried: TriedPlanner[] = [];
  let offered = 0;
  // What learning knows of each plan: anti-patterns here wait until every other plan was offered.
  const known = await knownFixes(ctx.workspace, ctx.config.learning, ctx.violation);
  const deferred: PlannedFix[] = [];
  for (const planner of planners) {
    let outcome;
    try {
      outcome = await planner.plan(ctx);
    } catch (err) {
      tried.push({ planner: planner.name, code: 'planner_error', reason: `the planner failed: ${(err as Error).message}` });
      continue;
    }
    if (!outcome.ok) {
      tried.push({ planner: planner.name, ...outcome.noPlan });
      continue;
    }
    const rejected: string[] = [];
    let valid = 0;
    for (const [index, candidate] of outcome.plans.entries()) {
      const parsed = parsePlan(candidate);
      if (!parsed.ok) {
        rejected.push(`plan ${index + 1}: ${parsed.errors.join('; ')}`);
        continue;
      }
      const base: Record<string, string | null> = {};
      for (const file of parsed.plan.files) {
        const text = await ctx.read(file);
        base[file] = text === undefined ? null : sha256(text);
      }
      const fingerprint = sha256(JSON.stringify({ violation: ctx.violation.id, planner: planner.name, plan: parsed.plan, base }));
      valid++;
      offered++;
      const record = known(parsed.plan);
      const plan = record?.bad ? { ...parsed.plan, evidence: [...parsed.plan.evidence, `${knownLabel(record)} for this kind of failure: tried after the other plans`] } : parsed.plan;
      const fix: PlannedFix = { id: `fix-${fingerprint.slice(0, 12)}`, violationId: ctx.violation.id, planner: planner.name, plan, base, createdAt: Date.now(), ...(record ? { known: record } : {}) };
      if (record?.bad) deferred.push(fix);
      else yield { fix };
    }
    if (valid > 0) continue;
    tried.push({
      planner: planner.name,
      code: 'invalid_plan',
      reason: outcome.plans.length === 0 ? 'the planner answered with no plans' : `every plan was rejected by the FixPlan schema: ${rejected.join(' | ')}`,
    });
  }
  // Known to fail here: offered last, labelled, still validated like any plan if nothing else holds.
  for (const fix of deferred) yield { fix };
  if (tried.length === 0) {
    yield { noPlan: { code: 'no_rule', reason: offered > 0 ? 'no plan: no planner has another plan' : 'no planner is configured', tried } };
    return;
  }
  const code = tried.some((t) => t.code !== 'not_applicable' && t.code !== 'no_rule' && t.code !== 'llm_unavailable')
    ? tried.find((t) => t.code !== 'not_applicable' && t.code !== 'no_rule' && t.code !== 'llm_unavailable')!.code
    : 'no_rule';
  const reason = `no plan: ${tried.map((t) => `${t.planner}: ${t.reason}`).join('; ')}`;
  yield { noPlan: { code, reason, tried } };
}

/** The first candidate of `planCandidates`, or why there is none; later planners are not asked. */
export async function planViolation(ctx: PlanningContext, planners: Planner[]): Promise<PlanViolationResult> {
  for await (const candidate of planCandidates(ctx, planners)) return candidate;
  throw new Error('planCandidates ended without a NoPlan');
}
