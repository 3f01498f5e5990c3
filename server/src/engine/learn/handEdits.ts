import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { structuredPatch } from 'diff';
import { z } from 'zod';
import type { LearningConfig } from '../config/schema';
import type { RepairRecord } from '../contracts';
import { writeFileAtomic } from '../files/atomicWrite';
import type { FixPlan, FixPlanInput } from '../fixPlan';
import type { SmokeReport, Violation } from '../model';
import { unifiedDiff } from '../files/diff';
import { listRecords } from '../records';
import { Redactor } from '../redact';
import { attemptOf, exceptionMessage } from './learner';
import { messageValues } from './signature';
import { patternStoreFor } from './stores';

/**
 * A person's fix, learned: each smoke run keeps the text of the files its failures point at (the
 * trace's workspace frames, the diagnostic's file, the route's handler); when a later run finds
 * one of those scenarios passing, no fix of the tool's was applied to it in between, and those
 * files changed, the change is a hand fix. It becomes a plan (an import added, a dependency added,
 * or the changed text as a find-and-replace), and, once a person agrees (`learning.handEdits`), a
 * pattern from the source `person` that the learned planner offers at the next similar failure.
 */

/** Where the failing runs' files are kept until a later run says what became of them. */
export const FAILING_FILE = path.join('.smoke-repair', 'learning', 'failing.json');
/** At most this many files per failure, of at most this many bytes each. */
const MAX_FILES = 6;
const MAX_BYTES = 256 * 1024;

const violationSchema = z.object({
  id: z.string(),
  scenarioId: z.string(),
  scenario: z.string(),
  method: z.string(),
  path: z.string(),
  expectedStatus: z.number(),
  actualStatus: z.number(),
  failureType: z.string(),
  strategy: z.string(),
  message: z.string(),
  exceptionClass: z.string().optional(),
  traceMessage: z.string().optional(),
  location: z.object({ file: z.string(), line: z.number(), column: z.number().optional() }).optional(),
  locationKind: z.string(),
});

const failingSchema = z.object({
  v: z.literal(1),
  at: z.number(),
  failures: z.array(z.object({ violation: violationSchema, files: z.array(z.object({ file: z.string(), text: z.string() })) })),
});

type Failing = z.infer<typeof failingSchema>;
type KeptViolation = z.infer<typeof violationSchema>;

/** A fix a person made: the failure it fixed, the files it changed, the plan it amounts to and its diff. */
const handFixSchema = z.object({
  id: z.string(),
  at: z.number(),
  scenario: z.string(),
  /** Every scenario the same edit fixed, when more than one. */
  scenarios: z.array(z.string()).optional(),
  violation: violationSchema,
  files: z.array(z.string()),
  plan: z.custom<FixPlan>((x) => typeof x === 'object' && x !== null && Array.isArray((x as FixPlan).operations)),
  /** The change as a unified diff (redacted), for the question and the pattern's example. */
  diff: z.string(),
});
export type HandFix = z.infer<typeof handFixSchema>;

/** Hand fixes found and not learned yet (`learning.handEdits: ask`): a person says yes later. */
export const PENDING_FILE = path.join('.smoke-repair', 'learning', 'hand-fixes.json');
const pendingSchema = z.object({ v: z.literal(1), fixes: z.array(handFixSchema) });
/** At most this many wait; the oldest go first. */
const MAX_PENDING = 20;

/** The hand fixes that wait for a person's yes, oldest first. */
export async function pendingHandFixes(workspace: string): Promise<HandFix[]> {
  try {
    const parsed = pendingSchema.safeParse(JSON.parse(await readFile(path.join(path.resolve(workspace), PENDING_FILE), 'utf8')));
    return parsed.success ? parsed.data.fixes : [];
  } catch {
    return [];
  }
}

async function savePending(workspace: string, fixes: HandFix[]): Promise<void> {
  await writeFileAtomic(path.join(path.resolve(workspace), PENDING_FILE), JSON.stringify({ v: 1, fixes: fixes.slice(-MAX_PENDING) }, null, 2) + '\n');
}

/** The workspace files a failure points at: its diagnostic's file (the innermost frame, the importer or the route's handler) and its trace's workspace frames. */
function filesOf(v: Violation): string[] {
  const out: string[] = [];
  const add = (f: string | undefined) => f && !out.includes(f) && !path.isAbsolute(f) && !f.startsWith('..') && out.push(f);
  if (v.location && v.locationKind !== 'scenario' && v.locationKind !== 'none') add(v.location.file);
  const traces = v.trace ? [v.trace, ...(v.trace.causes ?? [])] : [];
  for (const t of traces) for (const f of [...(t.frames ?? [])].reverse()) if (f.inWorkspace) add(f.file);
  return out.slice(0, MAX_FILES);
}

async function readText(workspace: string, file: string): Promise<string | undefined> {
  try {
    const text = await readFile(path.join(workspace, file), 'utf8');
    return Buffer.byteLength(text) <= MAX_BYTES ? text : undefined;
  } catch {
    return undefined;
  }
}

async function readFailing(workspace: string): Promise<Failing | undefined> {
  try {
    const parsed = failingSchema.safeParse(JSON.parse(await readFile(path.join(workspace, FAILING_FILE), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** `import x`, `from m import a, b`, `const x = require('m')`, `const { a } = require('m')`, `import x from 'm'`, `import { a } from 'm'`. */
function importOf(line: string): Array<{ name: string; module: string; style: 'module' | 'named' | 'default' }> | undefined {
  const t = line.trim();
  let m = t.match(/^import\s+([\w.]+)(?:\s+as\s+(\w+))?\s*$/);
  if (m) return [{ name: m[2] ?? m[1]!.split('.')[0]!, module: m[1]!, style: 'module' }];
  m = t.match(/^from\s+([\w.]+)\s+import\s+\(?([\w\s,]+?)\)?\s*$/);
  if (m) return m[2]!.split(',').map((n) => n.trim()).filter(Boolean).map((n) => ({ name: n.split(/\s+as\s+/).pop()!, module: m![1]!, style: 'named' as const }));
  m = t.match(/^(?:const|let|var)\s+(\w+)\s*=\s*require\(\s*['"]([^'"]+)['"]\s*\)\s*;?$/) ?? t.match(/^import\s+(\w+)\s+from\s+['"]([^'"]+)['"]\s*;?$/);
  if (m) return [{ name: m[1]!, module: m[2]!, style: 'default' }];
  m = t.match(/^(?:const|let|var)\s*\{([^}]+)\}\s*=\s*require\(\s*['"]([^'"]+)['"]\s*\)\s*;?$/) ?? t.match(/^import\s*\{([^}]+)\}\s*from\s+['"]([^'"]+)['"]\s*;?$/);
  if (m) return m[1]!.split(',').map((n) => n.trim()).filter(Boolean).map((n) => ({ name: n.split(/\s*(?::|\bas\b)\s*/).pop()!, module: m![2]!, style: 'named' as const }));
  return undefined;
}

/** A requirement's or dependency's name: `python-slugify>=8` → python-slugify. */
const requirementName = (line: string) => line.trim().match(/^([A-Za-z0-9][A-Za-z0-9._-]*)/)?.[1];

/**
 * The smallest stretch around a change that occurs once in the file: the changed lines (`count`
 * from `start`), widened by up to 3 lines of context on either side until unique. Returns how many
 * lines it took before (`a`) and after (`b`).
 */
function uniqueFind(lines: string[], start: number, count: number): { find: string; a: number; b: number } | undefined {
  const text = lines.join('\n');
  const widths: Array<[number, number]> = [[0, 0], [1, 0], [0, 1], [1, 1], [2, 1], [1, 2], [2, 2], [3, 3]];
  for (const [a, b] of widths) {
    const from = start - a;
    const to = start + count + b;
    if (from < 0 || to > lines.length || to <= from) continue;
    const find = lines.slice(from, to).join('\n');
    if (find.trim() === '') continue;
    const at = text.indexOf(find);
    if (at >= 0 && text.indexOf(find, at + 1) < 0) return { find, a, b };
  }
  return undefined;
}

/** The plan a person's edit amounts to, or why it cannot be one. */
export function planFromEdit(files: Array<{ file: string; before: string; after: string }>, v: KeptViolation): FixPlanInput | string {
  const operations: NonNullable<FixPlanInput['operations']> = [];
  const values = messageValues(v.traceMessage ?? exceptionMessage(v.message));
  const why = 'a person fixed this failure by hand';
  for (const { file, before, after } of files) {
    const { hunks } = structuredPatch(file, file, before, after, undefined, undefined, { context: 0 });
    const removed = hunks.flatMap((h) => h.lines.filter((l) => l.startsWith('-')).map((l) => l.slice(1)));
    const added = hunks.flatMap((h) => h.lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1))).filter((l) => l.trim() !== '');
    const base = path.posix.basename(file);
    if (removed.length === 0 && /^requirements[^/]*\.txt$/.test(base)) {
      for (const line of added) {
        const name = requirementName(line);
        if (name) operations.push({ type: 'add_dependency', file, rationale: why, evidence: [`${file}: + ${line.trim()}`], details: { name, ...(line.trim().slice(name.length).trim() ? { version: line.trim().slice(name.length).trim() } : {}) } });
      }
      continue;
    }
    if (base === 'package.json') {
      try {
        const deps = (t: string) => ({ ...(JSON.parse(t).dependencies ?? {}) }) as Record<string, string>;
        const was = deps(before);
        const now = deps(after);
        const fresh = Object.keys(now).filter((k) => !(k in was));
        if (fresh.length && Object.keys(was).every((k) => k in now)) {
          for (const name of fresh) operations.push({ type: 'add_dependency', file, rationale: why, evidence: [`${file}: "${name}": "${now[name]}"`], details: { name, version: now[name] } });
          continue;
        }
      } catch {
        /* not JSON: read as text below */
      }
    }
    // Import lines only (added, or changed: `from .. import schemas` → `from .. import crud, schemas`): the names they bind anew.
    const now = added.map(importOf);
    const was = removed.filter((l) => l.trim() !== '').map(importOf);
    if (now.length && [...now, ...was].every((i) => i !== undefined)) {
      const had = new Set(was.flat().map((i) => `${i!.module}\0${i!.name}`));
      for (const i of now.flat()) {
        if (had.has(`${i!.module}\0${i!.name}`)) continue;
        // Only the names the failure's message quotes: the rest of a line a person tidied is not the fix.
        if (values.length && !values.includes(i!.name)) continue;
        operations.push({ type: 'add_import', file, rationale: why, evidence: [`${file}: import of ${i!.name} from ${i!.module}`], details: { name: i!.name, module: i!.module, style: i!.style } });
      }
      continue;
    }
    // Any other edit: each changed stretch as the text it replaced and the text a person wrote.
    const beforeLines = before.split('\n');
    const afterLines = after.split('\n');
    for (const h of hunks) {
      // 0-based: the old lines [s0, s0 + oldLines) became the new lines [s1, s1 + newLines).
      const s0 = h.oldStart - 1;
      const s1 = h.newStart - 1;
      const at = uniqueFind(beforeLines, s0, h.oldLines);
      if (!at) return `the change in ${file} at line ${h.oldStart} is not around text that occurs once`;
      const replace = afterLines.slice(s1 - at.a, s1 + h.newLines + at.b).join('\n');
      operations.push({ type: 'modify_code', file, rationale: why, evidence: [`${file}:${h.oldStart}`], details: { find: at.find, replace } });
    }
  }
  if (operations.length === 0) return 'the edit adds nothing a plan can say (only names the failure does not quote, or whitespace)';
  const first = operations[0]!.type;
  return {
    root_cause: `fixed by hand: ${v.message}`,
    category: first === 'add_import' ? 'IMPORT' : first === 'add_dependency' ? 'DEPENDENCY' : 'LOGIC',
    confidence: 0.8,
    files: [...new Set(operations.map((o) => o.file))],
    operations,
    evidence: [`the scenario "${v.scenario}" failed, then passed after this edit, with no fix of the tool's applied to it`],
  };
}

/** What a smoke run says about the hand fixes since the last failing run; keeps this run's failing files for the next. */
export async function observeRun(workspace: string, report: SmokeReport, learning: LearningConfig = {}): Promise<HandFix[]> {
  if (learning.handEdits === 'never' || learning.enabled === false) return [];
  const root = path.resolve(workspace);
  const fixes: HandFix[] = [];
  const last = await readFailing(root);
  if (last) {
    const passing = new Set(report.scenarios.filter((s) => s.ok).map((s) => s.scenarioId));
    const toolFixed = await toolFixedSince(root, last.at);
    for (const f of last.failures) {
      if (!passing.has(f.violation.scenarioId) || toolFixed.has(f.violation.scenarioId)) continue;
      const files: Array<{ file: string; before: string; after: string }> = [];
      for (const { file, text } of f.files) {
        const now = await readText(root, file);
        if (now !== undefined && now !== text) files.push({ file, before: text, after: now });
      }
      if (files.length === 0) continue;
      const planned = planFromEdit(files, f.violation);
      if (typeof planned === 'string') continue;
      // One edit that fixed several scenarios is one fix, learned once.
      const same = fixes.find((x) => JSON.stringify(x.plan.operations) === JSON.stringify(planned.operations));
      if (same) {
        same.scenarios = [...(same.scenarios ?? [same.scenario]), f.violation.scenario];
        continue;
      }
      const diff = Redactor.patterns.text(files.map((x) => unifiedDiff(x.file, x.before, x.after)).join(''));
      fixes.push({ id: `hand-${randomUUID().slice(0, 8)}`, at: Date.now(), scenario: f.violation.scenario, violation: f.violation, files: files.map((x) => x.file), plan: planned as FixPlan, diff });
    }
  }
  // This run's failures, with the text of their files as it is now.
  const failures: Failing['failures'] = [];
  for (const v of report.violations) {
    const files: Array<{ file: string; text: string }> = [];
    for (const file of filesOf(v)) {
      const text = await readText(root, file);
      if (text !== undefined) files.push({ file, text });
    }
    if (files.length === 0) continue;
    const { id, scenarioId, scenario, method, path: p, expectedStatus, actualStatus, failureType, strategy, message, location, locationKind } = v;
    failures.push({
      violation: { id, scenarioId, scenario, method, path: p, expectedStatus, actualStatus, failureType, strategy, message, ...(v.trace?.exceptionClass ? { exceptionClass: v.trace.exceptionClass } : {}), ...(v.trace?.message ? { traceMessage: v.trace.message } : {}), ...(location ? { location } : {}), locationKind },
      files,
    });
  }
  if (failures.length || last) await writeFileAtomic(path.join(root, FAILING_FILE), JSON.stringify({ v: 1, at: Date.now(), failures } satisfies Failing));
  if (fixes.length) await savePending(root, [...(await pendingHandFixes(root)), ...fixes]);
  return fixes;
}

/** The scenarios a fix of the tool's was applied to since a time: their passing says nothing of a person. */
async function toolFixedSince(workspace: string, since: number): Promise<Set<string>> {
  const { records } = await listRecords(workspace);
  return new Set(records.filter((r: RepairRecord) => r.applied && r.createdAt >= since).map((r) => r.violation.id.replace(/:\d+$/, '')));
}

/**
 * Learn hand fixes as patterns from the source `person` (each once: a learned or dismissed fix
 * leaves the pending list); returns how many were learned.
 */
export async function learnHandFixes(workspace: string, fixes: readonly HandFix[], learning: LearningConfig = {}): Promise<number> {
  let n = 0;
  if (fixes.length) {
    const store = await patternStoreFor(workspace, learning);
    for (const f of fixes) {
      const attempt = attemptOf({ violation: f.violation as unknown as RepairRecord['violation'], plan: f.plan, planner: 'person', applied: true, diff: f.diff }, 'success', 'person');
      if (!attempt) continue;
      await store.record({ ...attempt, roles: attempt.roles ?? [] });
      n++;
    }
  }
  await dismissHandFixes(workspace, fixes.map((f) => f.id));
  return n;
}

/** Take hand fixes off the pending list without learning them (a person said no). */
export async function dismissHandFixes(workspace: string, ids: readonly string[]): Promise<void> {
  const pending = await pendingHandFixes(workspace);
  const left = pending.filter((f) => !ids.includes(f.id));
  if (left.length !== pending.length) await savePending(workspace, left);
}

/** One line for a hand fix: the scenario and what the edit does. */
export function describeHandFix(f: HandFix): string {
  const what = f.plan.operations
    .map((o) => (o.type === 'add_import' ? `import ${(o.details as { name: string }).name}` : o.type === 'add_dependency' ? `add ${(o.details as { name: string }).name}` : `edit ${o.file}`))
    .join(', ');
  const names = f.scenarios ?? [f.scenario];
  return `${names.map((n) => `"${n}"`).join(', ')} pass${names.length === 1 ? 'es' : ''} after your edit of ${f.files.join(', ')} (${what})`;
}
