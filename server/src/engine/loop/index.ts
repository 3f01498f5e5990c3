import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { z } from 'zod';
import { readJsonFolder, runOfRecord, stampedName, writeJsonFile, type RecordProblem } from '../records';
import { silentProgress, type Progress, type SmokeReport } from '../model';
import { loadConfig } from '../config';
import type { LoopConfig } from '../config/schema';
import { ConfigError } from '../model';
import { approvalCounts, listApprovals, type Approval } from '../approvals';
import { createLlmPlanner, type CreateLlmPlannerOptions } from '../plan/llm';
import { learnReverted } from '../learn';
import type { Planner } from '../contracts';
import type { SmokeConfig } from '../config/schema';
import { defaultPlanners } from '../repair/defaults';
import { repairOnce, rollbackFixes, type RepairOnceOptions, type RepairRecord, type RepairRunSummary } from '../repair';
import { reloadApp } from '../repair/reload';
import { runSmoke } from '../run';
import { sleep } from '../smoke/runner';
import { DEFAULT_RETRY_POLICY, RetryBudget, settleFailures, type RetryPolicy, type RetrySteps } from './retry';

/**
 * The repair loop: smoke → plan → validate → apply → reload → smoke, iteration after iteration,
 * until the target pass rate, the iteration limit, a plateau (an iteration that gains nothing), or
 * a regression (a scenario that passed fails after an apply: that iteration's applies are rolled
 * back byte for byte and the app reloaded). Each iteration is one `repairOnce` pass, so every
 * iteration plans from fresh evidence. The loop's own record (`.smoke-repair/loops/`) ties the
 * iterations to their repair records; what the loop could not fix is escalated in it, with what
 * was tried.
 */

export const LOOPS_DIR = path.join('.smoke-repair', 'loops');

export type StopReason = 'target' | 'max-iterations' | 'plateau' | 'regression' | 'cancelled';

const iterationSchema = z.object({
  n: z.number().int().min(1),
  repairRunId: z.string(),
  startedAt: z.number(),
  durationMs: z.number(),
  passRateBefore: z.number(),
  passRateAfter: z.number(),
  passedBefore: z.number().int(),
  passedAfter: z.number().int(),
  total: z.number().int(),
  /** Repair record ids of the iteration, and of those applied (and kept). */
  records: z.array(z.string()),
  applied: z.array(z.string()),
  /** Applied fixes by operation type (`add_import: 2`). */
  fixesByType: z.record(z.string(), z.number().int()),
  /** A regression: the scenarios that passed before and failed after, and the applies rolled back for it. */
  rolledBack: z.object({ regressed: z.array(z.string()), records: z.array(z.string()), reload: z.string().optional() }).optional(),
  /** Milliseconds spent per step (summed over the iteration's records; smoke and reload from the pass). */
  timings: z.record(z.string(), z.number()),
  /** Fixes applied as progress (their scenario still fails, no longer for its own reason) in an iteration that gained no scenario. */
  progress: z.array(z.string()).optional(),
  /** The pass asked the model to regenerate the failing code (after a plateau), for these violations. */
  regenerated: z.array(z.string()).optional(),
  /** Retry rounds before the pass planned: who was run again, after how long, and who passed then. */
  retries: z
    .array(z.object({ scenarios: z.array(z.string()), types: z.array(z.string()), delayMs: z.number(), restarted: z.string().optional(), recovered: z.array(z.string()) }))
    .optional(),
});

export const loopRecordSchema = z.object({
  version: z.literal(1),
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  target: z.number(),
  maxIterations: z.number().int(),
  passRateStart: z.number().optional(),
  passRateEnd: z.number().optional(),
  iterations: z.array(iterationSchema),
  stopReason: z.enum(['target', 'max-iterations', 'plateau', 'regression', 'cancelled']).optional(),
  /** Why it stopped, in words. */
  stopDetail: z.string().optional(),
  /** What is left for a person: each failing scenario with what was tried last. */
  escalation: z.array(z.object({ scenario: z.string(), message: z.string(), tried: z.string() })).optional(),
  /** Fixes validated but not applied without a person's yes (needs review, checked but not run), newest attempt per scenario. */
  pending: z.array(z.object({ recordId: z.string(), scenario: z.string(), title: z.string(), why: z.string(), approvalId: z.string().optional() })).optional(),
  counters: z.object({
    /** Attempts by signal (failure type / exception) and outcome (applied, validation-failed, needs-review, no-plan, other). */
    autofix_attempts_total: z.record(z.string(), z.number().int()),
    autofix_success_ratio: z.number(),
    /** Seconds waited between retries. */
    autofix_backoff_seconds: z.number().optional(),
    /** Plans set aside for another of the same failure (blocked by a policy, or no patch). */
    autofix_replans_total: z.number().int().optional(),
    /** Approvals this loop opened, by their status at its end (pending, approved, rejected, applied, stale, superseded). */
    approval_requests_total: z.record(z.string(), z.number().int()).optional(),
  }),
});

export type LoopIteration = z.infer<typeof iterationSchema>;
export type LoopRecord = z.infer<typeof loopRecordSchema>;

export interface LoopOptions extends Omit<RepairOnceOptions, 'violationId'> {
  /** Stop once the pass rate reaches this (0..1, default 1). */
  target?: number;
  /** At most this many iterations (default 5). */
  maxIterations?: number;
  /** One structured line per iteration (JSON), for logs. */
  log?: (line: string) => void;
  /** Called after each pass, before the loop decides whether to go on (the editor refreshes its views and says which fixes wait for a person). */
  onPass?: (summary: RepairRunSummary) => void;
  /**
   * At a plateau, the planner that regenerates the failing code once (a pass of its own): by default
   * the configured model's (`llm` in smoke-repair.yaml; `llm` here gives the editor's provider and
   * key); false: never. Without a model the loop stops at the plateau.
   */
  regenerator?: Planner | false;
  /** The model's provider, key and log for the configuration (the editor's): used by the passes' planners and the regeneration. */
  llm?: (config: SmokeConfig) => CreateLlmPlannerOptions;
  /** The pass and the rollback the loop drives (`repairOnce`, `rollbackFixes`); tests give their own to drive the stopping rules. */
  steps?: { pass: (o: RepairOnceOptions) => Promise<RepairRunSummary>; rollback: typeof rollbackFixes };
  /** The smoke run, app restart and clock of the retries (a fresh smoke run, `reloadApp`, a real sleep); tests give their own. */
  retrySteps?: RetrySteps;
}

/** Where a loop record is kept, relative to the workspace. */
export function loopFile(record: Pick<LoopRecord, 'id' | 'startedAt'>): string {
  return path.join(LOOPS_DIR, stampedName(record.startedAt, record.id));
}

export async function writeLoopRecord(workspace: string, record: LoopRecord): Promise<string> {
  return writeJsonFile(path.join(path.resolve(workspace), loopFile(record)), record);
}

/** Every loop record, oldest first; a file that does not parse is reported, never fatal. */
export async function listLoopRecords(workspace: string): Promise<{ loops: LoopRecord[]; problems: RecordProblem[] }> {
  const { items, problems } = await readJsonFolder(path.join(path.resolve(workspace), LOOPS_DIR), loopRecordSchema);
  return { loops: items.sort((a, b) => a.startedAt - b.startedAt), problems };
}

/** The passes run on their own (repair --once, Repair Failures): the records no loop holds, by pass, in record order. */
export function passesOutsideLoops<R extends Pick<RepairRecord, 'id'>>(loops: readonly LoopRecord[], records: readonly R[]): Map<string, R[]> {
  const inLoops = new Set(loops.flatMap((l) => l.iterations.flatMap((it) => it.records)));
  const runs = new Map<string, R[]>();
  for (const r of records) {
    if (inLoops.has(r.id)) continue;
    const run = runOfRecord(r.id);
    runs.set(run, [...(runs.get(run) ?? []), r]);
  }
  return runs;
}

const passing = (r: SmokeReport) => new Set(r.scenarios.filter((s) => s.ok && !s.skipped).map((s) => s.scenarioId));

/** A fix held back for a person's yes: needs review, or checked without its scenarios running (repairOnce's reasons). */
function heldForPerson(r: RepairRecord): boolean {
  return !r.applied && /^(needs review|checked \(not run\))/.test(r.reason);
}

function outcomeOf(r: RepairRecord): string {
  if (r.applied) return 'applied';
  if (r.noPlan) return 'no-plan';
  // Before the validation's status: "checked (not run)" is no failed validation.
  if (heldForPerson(r)) return 'needs-review';
  if (r.validation && r.validation.status !== 'passed') return 'validation-failed';
  return 'other';
}

function signalOf(r: RepairRecord): string {
  return r.violation.exceptionClass ?? r.violation.failureType;
}

function sumTimings(summary: RepairRunSummary, extra: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { ...extra };
  for (const r of summary.records) for (const [k, v] of Object.entries(r.timings)) out[k] = Math.round(((out[k] ?? 0) + (v ?? 0)) * 100) / 100;
  return out;
}

/** Run the loop. Throws ConfigError / EnvironmentError like repairOnce; a cancel ends it with `cancelled`. */
export async function repairLoop(opts: LoopOptions): Promise<{ record: LoopRecord; file: string; last?: RepairRunSummary }> {
  const workspace = path.resolve(opts.workspace);
  const loaded = await loadConfig(workspace, opts.configFile);
  if (!loaded.ok) throw new ConfigError(loaded.file, loaded.errors);
  const settings = loaded.config.loop;
  const target = opts.target ?? settings?.target ?? 1;
  const maxIterations = opts.maxIterations ?? settings?.maxIterations ?? 5;
  if (!(target >= 0 && target <= 1)) throw new RangeError(`the target pass rate must be between 0 and 1 (got ${target})`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new RangeError(`the iteration limit must be a whole number of at least 1 (got ${maxIterations})`);
  const progress: Progress = opts.progress ?? silentProgress;
  const steps = opts.steps ?? { pass: repairOnce, rollback: rollbackFixes };
  const retrySteps: RetrySteps = opts.retrySteps ?? {
    smoke: () => runSmoke({ workspace, configFile: opts.configFile, progress: silentProgress, signal: opts.signal }),
    restart: () => reloadApp(workspace, loaded.config, [], progress, opts.signal),
    sleep,
  };
  const budget = new RetryBudget(retryPolicy(settings));
  let backoffMs = 0;
  const record: LoopRecord = {
    version: 1,
    id: `loop-${randomBytes(4).toString('hex')}`,
    startedAt: Date.now(),
    target,
    maxIterations,
    iterations: [],
    counters: { autofix_attempts_total: {}, autofix_success_ratio: 0 },
  };
  let file = await writeLoopRecord(workspace, record);
  let last: RepairRunSummary | undefined;
  const llm = opts.llm?.(loaded.config);
  const regenerator = opts.regenerator === false ? undefined : (opts.regenerator ?? createLlmPlanner(loaded.config, { ...llm, mode: 'regenerate', signal: opts.signal }));
  // The passes plan with the same model (the editor's, when it gives one).
  const planners = opts.planners ?? (llm ? defaultPlanners(loaded.config, llm) : undefined);
  let regenerateNext: { ids: string[]; tried: Record<string, string[]> } | undefined;
  const allRecords: RepairRecord[] = [];
  const stop = (reason: StopReason, detail: string) => {
    record.stopReason = reason;
    record.stopDetail = detail;
  };

  try {
    for (let n = 1; n <= maxIterations; n++) {
      opts.signal?.throwIfAborted();
      progress.report(`Iteration ${n} of at most ${maxIterations}`, (n - 1) / maxIterations);
      const started = Date.now();
      // Each iteration starts from the smoke run that ended the one before: fresh evidence, run once.
      const { steps: _steps, retrySteps: _retrySteps, target: _target, maxIterations: _max, log: _log, onPass: _onPass, regenerator: _r, llm: _llm, ...passOptions } = opts;
      const regenerating = regenerateNext;
      regenerateNext = undefined;
      // Failures a second try may clear are tried again (after a backoff, the app restarted for
      // INFRA) before anything is planned for them.
      const smokeStart = performance.now();
      const start = last?.reportAfter ?? (await retrySteps.smoke());
      record.passRateStart ??= start.passRate;
      const settled = await settleFailures(start, budget, retrySteps, opts.signal);
      const waited = settled.rounds.reduce((t, r) => t + r.delayMs, 0);
      // The loop's own smoke runs (the first, and the retries'), the waits between retries apart.
      const ownSmokeMs = Math.max(0, Math.round((performance.now() - smokeStart - waited) * 100) / 100);
      backoffMs += waited;
      const summary = await steps.pass({
        ...passOptions,
        workspace,
        initialReport: settled.report,
        loopId: record.id,
        ...(planners ? { planners } : {}),
        ...(regenerating && regenerator ? { planners: [regenerator], onlyViolations: regenerating.ids, tried: regenerating.tried } : {}),
      });
      last = summary;
      allRecords.push(...summary.records);
      opts.onPass?.(summary);
      const applied = summary.records.filter((r) => r.applied);
      const fixesByType: Record<string, number> = {};
      for (const r of applied) for (const op of r.plan?.operations ?? []) fixesByType[op.type] = (fixesByType[op.type] ?? 0) + 1;
      const iteration: LoopIteration = {
        n,
        repairRunId: summary.runId,
        startedAt: started,
        durationMs: Date.now() - started,
        passRateBefore: summary.passRateBefore,
        passRateAfter: summary.passRateAfter,
        passedBefore: summary.passedBefore,
        passedAfter: summary.passedAfter,
        total: summary.total,
        records: summary.records.map((r) => r.id),
        applied: applied.map((r) => r.id),
        fixesByType,
        timings: sumTimings(summary, { smoke: Math.round((ownSmokeMs + summary.timings.smoke + summary.timings.smokeAgain) * 100) / 100, reload: summary.timings.reload, ...(waited > 0 ? { backoff: waited } : {}) }),
        ...(settled.rounds.length > 0 ? { retries: settled.rounds } : {}),
        ...(regenerating ? { regenerated: regenerating.ids } : {}),
      };
      record.iterations.push(iteration);

      if (summary.reportBefore.violations.length === 0) stop('target', `every scenario passes (${summary.passedBefore}/${summary.total})`);
      else if (applied.length === 0) stop('plateau', `iteration ${n} applied nothing: ${summary.counts.planned} planned, ${summary.counts.validated} validated, none safe and validated to apply`);
      else {
        // A scenario that passed before the applies and fails after: roll the iteration back.
        const before = passing(summary.reportBefore);
        const after = summary.reportAfter ? passing(summary.reportAfter) : before;
        const regressed = [...before].filter((id) => !after.has(id));
        if (regressed.length > 0) {
          const names = regressed.map((id) => summary.reportAfter!.scenarios.find((s) => s.scenarioId === id)?.name ?? id);
          progress.report(`Rolling back iteration ${n}: ${names.join(', ')} regressed`, n / maxIterations);
          // Last applied first; one reload for every file they restore.
          const ids = [...applied].reverse().map((r) => r.checkpointId).filter((id): id is string => id !== undefined);
          const { reload } = await steps.rollback({ workspace, configFile: opts.configFile, checkpointIds: ids, progress, signal: opts.signal });
          iteration.rolledBack = { regressed: names, records: applied.map((r) => r.id), ...(reload ? { reload } : {}) };
          // The patterns of those fixes learn they were reverted.
          await learnReverted(workspace, applied, loaded.config.learning);
          iteration.applied = [];
          iteration.passRateAfter = summary.passRateBefore;
          iteration.passedAfter = summary.passedBefore;
          stop('regression', `iteration ${n} made ${names.join(', ')} fail; its ${applied.length} applied fix${applied.length === 1 ? ' was' : 'es were'} rolled back`);
        } else if (summary.passRateAfter <= summary.passRateBefore && !applied.some((r) => r.validation?.progress)) {
          stop('plateau', `iteration ${n} gained nothing (${summary.passedBefore}/${summary.total} → ${summary.passedAfter}/${summary.total})`);
        } else if (summary.passRateAfter <= summary.passRateBefore) {
          // No scenario passes yet, but a failure lost its own cause (a fault behind another): go on.
          iteration.progress = applied.filter((r) => r.validation?.progress).map((r) => r.id);
        } else if (summary.passRateAfter >= target) {
          stop('target', `the pass rate ${pct(summary.passRateAfter)} reached the target ${pct(target)}`);
        }
      }
      if (record.stopReason === 'plateau' && regenerating) {
        record.stopDetail += `; the model's regeneration of the failing code did not help either (${regenerationOutcome(summary)})`;
      } else if (record.stopReason === 'plateau' && regenerator && !record.iterations.some((it) => it.regenerated) && n < maxIterations) {
        // A plateau: once per loop, the model rewrites the failing code of what no fix reached.
        const next = regenerationTargets(summary, allRecords);
        if (next.ids.length > 0) {
          regenerateNext = next;
          progress.report(`Plateau: asking the model to regenerate the failing code of ${next.ids.length} failure(s)`, n / maxIterations);
          record.stopReason = undefined;
          record.stopDetail = undefined;
        }
      }
      opts.log?.(JSON.stringify({ event: 'iteration', loop: record.id, n, ...(regenerating ? { regenerated: true } : {}), passRateBefore: iteration.passRateBefore, passRateAfter: iteration.passRateAfter, fixesByType, patternsUsed: applied.filter((r) => r.planner?.startsWith('learned')).length, stopReason: record.stopReason ?? null }));
      file = await writeLoopRecord(workspace, record);
      if (record.stopReason) break;
    }
    if (!record.stopReason) stop('max-iterations', `${maxIterations} iteration${maxIterations === 1 ? '' : 's'} run, the pass rate is ${pct(record.iterations.at(-1)!.passRateAfter)} (target ${pct(target)})`);
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
    stop('cancelled', 'cancelled by the user; files are as the last complete step left them');
  }

  const end = record.iterations.at(-1);
  record.passRateEnd = end?.passRateAfter ?? record.passRateStart;
  record.endedAt = Date.now();
  if (record.stopReason !== 'target') record.escalation = escalation(last, allRecords);
  const { approvals } = await listApprovals(workspace);
  const waiting = pendingApprovals(last, allRecords, approvals);
  if (waiting.length > 0) record.pending = waiting;
  for (const r of allRecords) {
    const key = `${signalOf(r)},${outcomeOf(r)}`;
    record.counters.autofix_attempts_total[key] = (record.counters.autofix_attempts_total[key] ?? 0) + 1;
  }
  const kept = record.iterations.reduce((k, it) => k + it.applied.length, 0);
  const attempts = allRecords.filter((r) => r.plan).length;
  record.counters.autofix_success_ratio = attempts === 0 ? 0 : Math.round((kept / attempts) * 1000) / 1000;
  record.counters.autofix_backoff_seconds = Math.round(backoffMs) / 1000;
  record.counters.autofix_replans_total = allRecords.reduce((n, r) => n + (r.passedOver?.length ?? 0), 0);
  record.counters.approval_requests_total = approvalCounts(approvals, record.id);
  file = await writeLoopRecord(workspace, record);
  return { record, file, last };
}

/** The retry policy: the defaults, with what `loop.retry` in smoke-repair.yaml overrides. */
export function retryPolicy(settings: LoopConfig | undefined): RetryPolicy {
  const r = settings?.retry;
  const types = { ...DEFAULT_RETRY_POLICY.types };
  for (const [type, rule] of Object.entries(r?.types ?? {})) {
    const t = type as keyof typeof types;
    types[t] = { attempts: rule?.attempts ?? types[t].attempts, multiplier: rule?.multiplier ?? types[t].multiplier };
  }
  return {
    types,
    baseMs: r?.baseMs ?? DEFAULT_RETRY_POLICY.baseMs,
    capMs: r?.capMs ?? DEFAULT_RETRY_POLICY.capMs,
    maxAttempts: r?.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
    maxPerStep: r?.maxPerStep ?? DEFAULT_RETRY_POLICY.maxPerStep,
  };
}

/**
 * The fixes that wait for a person: validated (or checked without running) but held back by the
 * policy's needs-review label, for scenarios that still fail; the newest attempt per scenario.
 */
function pendingApprovals(last: RepairRunSummary | undefined, all: RepairRecord[], approvals: readonly Approval[]): NonNullable<LoopRecord['pending']> {
  const failing = new Set((last?.reportAfter ?? last?.reportBefore)?.violations.map((v) => v.scenario) ?? []);
  // A fix a person already rejected (or that a newer one superseded) waits for no one.
  const open = new Set(approvals.filter((a) => a.status === 'pending' || a.status === 'approved').map((a) => a.id));
  const newest = new Map<string, RepairRecord>();
  for (const r of all) {
    if (!heldForPerson(r) || !failing.has(r.violation.scenario) || !r.plan) continue;
    if (r.approvalId && !open.has(r.approvalId)) continue;
    newest.set(r.violation.scenario, r);
  }
  return [...newest.values()].map((r) => ({ recordId: r.id, scenario: r.violation.scenario, title: r.plan!.root_cause, why: r.reason, ...(r.approvalId ? { approvalId: r.approvalId } : {}) }));
}

/**
 * What a regeneration pass is asked about: the violations still failing after a plateau, except
 * those whose fix waits for a person; with what each earlier attempt at it tried and why it did not hold.
 */
function regenerationTargets(summary: RepairRunSummary, all: RepairRecord[]): { ids: string[]; tried: Record<string, string[]> } {
  const report = summary.reportAfter ?? summary.reportBefore;
  const ids: string[] = [];
  const tried: Record<string, string[]> = {};
  for (const v of report.violations) {
    const attempts = all.filter((r) => r.violation.scenario === v.scenario);
    if (attempts.length > 0 && heldForPerson(attempts.at(-1)!)) continue;
    ids.push(v.id);
    tried[v.id] = attempts.slice(-5).map((r) => clipText(`${r.planner ?? 'no plan'}${r.plan ? `: ${r.plan.root_cause}` : ''}: ${r.reason}`, 400));
  }
  return { ids, tried };
}

/** What the regeneration pass did, in words, for the stop detail. */
function regenerationOutcome(summary: RepairRunSummary): string {
  return summary.records.map((r) => `${r.violation.scenario}: ${clipText(r.reason, 200)}`).join('; ') || 'nothing was asked';
}

const clipText = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** What is left for a person when the loop stops short: each scenario still failing, with its last attempt. */
function escalation(last: RepairRunSummary | undefined, all: RepairRecord[]): NonNullable<LoopRecord['escalation']> {
  const report = last?.reportAfter ?? last?.reportBefore;
  const failing = report ? report.violations : [];
  return failing.map((v) => {
    const tried = [...all].reverse().find((r) => r.violation.scenario === v.scenario);
    return { scenario: v.scenario, message: v.message, tried: tried ? tried.reason || outcomeOf(tried) : 'not attempted' };
  });
}

function pct(n: number): string {
  return `${Math.round(n * 100)}%`;
}
