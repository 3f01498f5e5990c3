import { mkdir, readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../files/atomicWrite';
import { FAILURE_TYPES, STRATEGIES, type Violation } from '../model';
import { fixPlanSchema } from '../fixPlan';
import type { RepairRecord } from '../contracts';

/**
 * Run records: one JSON file per repair attempt in `.smoke-repair/runs/<timestamp>-<id>.json`,
 * written atomically, read back through a zod schema (a corrupt file is reported, not fatal).
 */

export const RUNS_DIR = path.join('.smoke-repair', 'runs');

const noPlanCode = z.enum([
  'not_applicable',
  'no_rule',
  'insufficient_evidence',
  'unsafe',
  'llm_unavailable',
  'llm_invalid_output',
  'llm_error',
  'invalid_plan',
  'planner_error',
]);
/** What the LLM planner adds to its NoPlan (plan/llm/planner.ts LlmNoPlan): requests made, the errors of its last answer, an HTTP status. */
const llmNoPlan = {
  attempts: z.number().int().optional(),
  errors: z.array(z.string()).optional(),
  status: z.number().int().optional(),
};
const decisionSchema = z.strictObject({
  allowed: z.boolean(),
  dangerScore: z.number().min(0).max(100),
  label: z.enum(['safe', 'needs-review']),
  reasons: z.array(z.string()),
});
const stepStatus = z.enum(['passed', 'failed', 'skipped']);
const statsSchema = z.strictObject({ files: z.number().int(), added: z.number().int(), removed: z.number().int(), bytes: z.number().int() });

export const repairRecordSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  createdAt: z.number().int(),
  violation: z.strictObject({
    id: z.string(),
    scenario: z.string(),
    method: z.string(),
    path: z.string(),
    expectedStatus: z.number().int(),
    actualStatus: z.number().int(),
    failureType: z.enum(FAILURE_TYPES),
    strategy: z.enum(STRATEGIES),
    message: z.string(),
    exceptionClass: z.string().optional(),
  }),
  planner: z.string().optional(),
  plan: fixPlanSchema.optional(),
  noPlan: z
    .strictObject({
      code: noPlanCode,
      reason: z.string(),
      tried: z.array(z.strictObject({ planner: z.string(), code: noPlanCode, reason: z.string(), ...llmNoPlan })),
    })
    .optional(),
  passedOver: z
    .array(
      z.strictObject({
        planner: z.string(),
        fixId: z.string(),
        stage: z.enum(['plan-policy', 'patch', 'patch-policy', 'validation']),
        reason: z.string(),
      }),
    )
    .optional(),
  planPolicy: decisionSchema.optional(),
  patchPolicy: decisionSchema.optional(),
  diff: z.string().optional(),
  diffStats: statsSchema.optional(),
  validation: z
    .strictObject({
      status: z.enum(['passed', 'checked', 'failed', 'skipped']),
      afterApply: z.array(z.string()).optional(),
      steps: z.array(
        z.strictObject({
          name: z.enum(['apply', 'parse', 'checks', 'scenarios']),
          status: stepStatus,
          summary: z.string().optional(),
          output: z.string(),
          durationMs: z.number(),
        }),
      ),
      fixed: z.array(z.string()),
      regressed: z.array(z.string()),
      progress: z.string().optional(),
    })
    .optional(),
  applied: z.boolean(),
  reason: z.string(),
  checkpointId: z.string().optional(),
  passRateBefore: z.number().min(0).max(1),
  passRateAfter: z.number().min(0).max(1).optional(),
  timings: z.strictObject({
    plan: z.number().optional(),
    policy: z.number().optional(),
    patch: z.number().optional(),
    validate: z.number().optional(),
    apply: z.number().optional(),
  }),
  prompts: z
    .array(
      z.strictObject({
        planner: z.string(),
        provider: z.string(),
        sentAt: z.number().int(),
        messages: z.array(z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })),
      }),
    )
    .optional(),
  approvalId: z.string().optional(),
});

/** The pass a repair record belongs to: `run-1a2b3c4d` of `run-1a2b3c4d-03` (repairOnce numbers its records so). */
export function runOfRecord(recordId: string): string {
  return recordId.replace(/-\d+$/, '');
}

/** `<UTC timestamp>-<id>.json`: files of a folder sort in the order they were made. */
export function stampedName(createdAt: number, id: string): string {
  return `${new Date(createdAt).toISOString().replace(/[-:]/g, '').replace('.', '')}-${id}.json`;
}

/** The file a record is stored in, relative to the workspace. */
export function recordFile(record: Pick<RepairRecord, 'id' | 'createdAt'>): string {
  return path.join(RUNS_DIR, stampedName(record.createdAt, record.id));
}

/** Write (or rewrite) a JSON document atomically, its folder made when missing; returns the path. */
export async function writeJsonFile(file: string, value: unknown): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
  return file;
}

/** Write (or rewrite) a record atomically; returns its absolute path. */
export async function writeRecord(workspace: string, record: RepairRecord): Promise<string> {
  return writeJsonFile(path.join(path.resolve(workspace), recordFile(record)), record);
}

export interface RecordProblem {
  file: string;
  error: string;
}

/**
 * Every JSON document of a folder that the schema accepts, in file-name order; a file that is not
 * JSON or that the schema rejects is listed in `problems` (never fatal). A missing folder is empty.
 */
export async function readJsonFolder<T>(dir: string, schema: z.ZodType<T>): Promise<{ items: T[]; problems: RecordProblem[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  } catch {
    return { items: [], problems: [] };
  }
  const items: T[] = [];
  const problems: RecordProblem[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let value: unknown;
    try {
      value = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      problems.push({ file, error: `not valid JSON: ${(err as Error).message}` });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) items.push(parsed.data);
    else problems.push({ file, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') });
  }
  return { items, problems };
}

/** Every stored record, oldest first; files that do not parse are listed in `problems`. */
export async function listRecords(workspace: string): Promise<{ records: RepairRecord[]; problems: RecordProblem[] }> {
  const { items, problems } = await readJsonFolder(path.join(path.resolve(workspace), RUNS_DIR), repairRecordSchema);
  const records = items as RepairRecord[];
  records.sort((a, b) => a.createdAt - b.createdAt);
  return { records, problems };
}

/** The part of a violation a repair record keeps. */
export function violationSummary(v: Violation): RepairRecord['violation'] {
  return {
    id: v.id,
    scenario: v.scenario,
    method: v.method,
    path: v.path,
    expectedStatus: v.expectedStatus,
    actualStatus: v.actualStatus,
    failureType: v.failureType,
    strategy: v.strategy,
    message: v.message,
    ...(v.trace?.exceptionClass ? { exceptionClass: v.trace.exceptionClass } : {}),
  };
}
