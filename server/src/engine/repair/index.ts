import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyFix, ApplyError, rollback, type RollbackResult } from '../apply';
import { loadConfig } from '../config';
import type { SmokeConfig } from '../config/schema';
import { ConfigError, silentProgress, type Progress, type SmokeReport, type Violation } from '../model';
import type { ExecutorMap } from '../patch/registry';
import { writeRecord } from '../records';
import { runSmoke } from '../run';
import { listWorkspaceFiles } from '../traces/pathmap';
import { validationReason } from '../validate';
import { defaultExecutors, defaultPlanners, defaultValidator } from './defaults';
import { planOne, type ViolationPlan } from './planOne';
import { reloadApp } from './reload';
import { shiftViolation, staleEvidence } from './lineShift';
import type { FilePatch, Planner, RepairRecord, ValidationResult } from '../contracts';
import type { Validator } from '../contracts';
import { workspaceReader } from './workspaceFiles';
import { approvedFixes, openApproval, settleApproval, type Approval, type ApprovalReason } from '../approvals';
import { learnFromRecords } from '../learn/learner';
import { patternStoreFor } from '../learn/stores';

export * from '../contracts';
export type { ViolationPlan } from './planOne';
export type { Validator, ValidateInput } from '../contracts';
export { workspaceReader } from './workspaceFiles';

/**
 * The headless pipeline: smoke → for each violation plan → policy → patch → policy → validate →
 * apply (only safe, validated patches) → record; then smoke again and the pass rate after.
 */

export interface PlanAllOptions {
  config: SmokeConfig;
  violationId?: string;
  planners?: Planner[];
  executors?: ExecutorMap;
}

/** Plans for every violation of a report (or the one named), against the workspace as it is now. */
export async function planAll(workspaceDir: string, report: SmokeReport, opts: PlanAllOptions): Promise<ViolationPlan[]> {
  const workspace = path.resolve(workspaceDir);
  const violations = selectViolations(report, opts.violationId);
  const planners = opts.planners ?? defaultPlanners(opts.config);
  const executors = opts.executors ?? defaultExecutors;
  const files = await listWorkspaceFiles(workspace);
  const read = workspaceReader(workspace);
  const out: ViolationPlan[] = [];
  for (const violation of violations) {
    out.push(await planOne({ workspace, report, config: opts.config, violation, files, read, planners, executors }));
  }
  return out;
}

/** Thrown when `--violation` names no violation of the run. */
export class UnknownViolationError extends Error {
  constructor(
    readonly violationId: string,
    readonly known: string[],
  ) {
    super(`no violation "${violationId}" in this run${known.length ? ` (there are: ${known.join(', ')})` : ' (every scenario passed)'}`);
    this.name = 'UnknownViolationError';
  }
}

function selectViolations(report: SmokeReport, id?: string): Violation[] {
  if (id === undefined) return report.violations;
  const v = report.violations.filter((x) => x.id === id || x.scenarioId === id);
  if (v.length === 0) throw new UnknownViolationError(id, report.violations.map((x) => x.id));
  return v;
}

export interface RepairOnceOptions {
  workspace: string;
  configFile?: string;
  violationId?: string;
  progress?: Progress;
  signal?: AbortSignal;
  /** `safe`: apply safe, validated patches; `none`: plan, validate and record only (dry run). */
  apply: 'safe' | 'none';
  validator?: Validator;
  planners?: Planner[];
  executors?: ExecutorMap;
  /** After applying, restart (or rebuild) the app before smoke runs again. Default true. */
  reload?: boolean;
  /** A smoke report of the app as it is now (the loop's last run): used instead of running smoke first. */
  initialReport?: SmokeReport;
  /** `safe` (default): apply safe, validated fixes, and ask a person about the others; `none`: ask a person about every fix. */
  approve?: 'safe' | 'none';
  /** Apply the fixes a person approved (default true); with `onlyApproved`, plan nothing else. */
  approvals?: boolean;
  onlyApproved?: boolean;
  /** The loop this pass belongs to, kept with the approvals it opens. */
  loopId?: string;
  /** Repair only these violations (ids); the loop's regeneration leaves out those waiting for a person. */
  onlyViolations?: string[];
  /** What earlier iterations tried, by violation id, for the planners to read. */
  tried?: Record<string, string[]>;
}

export interface RepairRunSummary {
  runId: string;
  workspace: string;
  records: RepairRecord[];
  /** Where each record is stored, in the order of `records`. */
  recordFiles: string[];
  passRateBefore: number;
  passRateAfter: number;
  passedBefore: number;
  passedAfter: number;
  total: number;
  counts: { violations: number; planned: number; noPlan: number; validated: number; applied: number };
  /** What was done so the app runs the new code (restart, rebuild), when anything was applied. */
  reload?: string;
  /** Whether smoke ran again (only when something was applied). */
  smokeAgain: boolean;
  reportAfter?: SmokeReport;
  /** The smoke report the pass started from. */
  reportBefore: SmokeReport;
  /** Milliseconds of the pass's own steps: the first smoke run (0 when given), the reload and the smoke run after it. */
  timings: { smoke: number; reload: number; smokeAgain: number };
  /** Approvals this pass opened (a person is asked), and those it applied or found stale. */
  approvals: { opened: Approval[]; settled: Approval[] };
}

const round = (n: number) => Math.round(n * 100) / 100;

import { violationSummary } from '../records';
export { violationSummary };

/** One pass of the repair loop. Throws ConfigError / EnvironmentError like runSmoke. */
export async function repairOnce(opts: RepairOnceOptions): Promise<RepairRunSummary> {
  const workspace = path.resolve(opts.workspace);
  const progress = opts.progress ?? silentProgress;
  const loaded = await loadConfig(workspace, opts.configFile);
  if (!loaded.ok) throw new ConfigError(loaded.file, loaded.errors);
  const config = loaded.config;
  const approve = opts.approve ?? config.loop?.approve ?? 'safe';
  const planners = opts.planners ?? defaultPlanners(config);
  const executors = opts.executors ?? defaultExecutors;
  const validator = opts.validator ?? defaultValidator;
  const runId = `run-${randomBytes(4).toString('hex')}`;

  const smokeStart = performance.now();
  const report = opts.initialReport ?? (await runSmoke({ workspace, configFile: opts.configFile, progress, signal: opts.signal }));
  const passTimings = { smoke: opts.initialReport ? 0 : round(performance.now() - smokeStart), reload: 0, smokeAgain: 0 };
  const only = opts.onlyViolations ? new Set(opts.onlyViolations) : undefined;
  const violations = opts.onlyApproved ? [] : selectViolations(report, opts.violationId).filter((v) => !only || only.has(v.id));
  const read = workspaceReader(workspace);
  const records: RepairRecord[] = [];
  const recordFiles: string[] = [];
  /** Scenario id → the fix whose sandbox run showed it passing. */
  const fixedBy = new Map<string, string>();
  const changed = new Set<string>();
  /** File patches applied in this pass, in order: later violations' lines are moved through them. */
  const appliedPatches: FilePatch[] = [];
  const approvals: RepairRunSummary['approvals'] = { opened: [], settled: [] };
  const nextId = () => `${runId}-${String(records.length + 1).padStart(2, '0')}`;

  // What a person approved since the last pass is applied first, as they saw it.
  if (opts.approvals !== false && opts.apply !== 'none') {
    for (const item of await approvedFixes(workspace, read, executors)) {
      opts.signal?.throwIfAborted();
      const a = item.approval;
      const failing = report.violations.find((v) => v.id === a.violation.id) ?? report.violations.find((v) => v.scenario === a.violation.scenario);
      if ('stale' in item || !failing) {
        const detail = 'stale' in item ? item.stale : `its scenario "${a.violation.scenario}" passes now`;
        approvals.settled.push(await settleApproval(workspace, a, { applied: false, detail: `not applied: ${detail}` }));
        continue;
      }
      progress.report(`Applying the approved fix for ${a.violation.message}`, 0.2);
      const record: RepairRecord = {
        id: nextId(),
        createdAt: Date.now(),
        violation: a.violation,
        planner: a.planner,
        plan: a.plan,
        diff: item.patch.diff,
        diffStats: item.patch.stats,
        applied: false,
        reason: '',
        passRateBefore: report.passRate,
        timings: {},
        approvalId: a.id,
      };
      const t = performance.now();
      const by = `approved by ${a.decision?.by ?? 'a person'}${a.decision ? ` at ${new Date(a.decision.at).toISOString()}` : ''}`;
      try {
        const checkpoint = await applyFix({ workspace, fix: item.fix, patch: item.patch });
        record.applied = true;
        record.checkpointId = checkpoint.id;
        record.reason = `applied: ${by} (${a.id})`;
        for (const f of item.patch.files) {
          changed.add(f.file);
          appliedPatches.push(f);
        }
        for (const scenario of new Set([failing.scenarioId, ...a.validation.fixed])) fixedBy.set(scenario, item.fix.id);
        approvals.settled.push(await settleApproval(workspace, a, { applied: true, detail: record.reason, recordId: record.id, checkpointId: checkpoint.id }));
      } catch (err) {
        if (!(err instanceof ApplyError)) throw err;
        record.reason = `not applied (${by}): ${err.message}`;
        approvals.settled.push(await settleApproval(workspace, a, { applied: false, detail: record.reason, recordId: record.id }));
      }
      record.timings.apply = round(performance.now() - t);
      records.push(record);
      recordFiles.push(await writeRecord(workspace, record));
    }
  }

  for (const [i, found] of violations.entries()) {
    const violation = shiftViolation(found, appliedPatches);
    opts.signal?.throwIfAborted();
    progress.report(`Repairing ${violation.message}`, 0.3 + (0.5 * i) / Math.max(1, violations.length));
    const record: RepairRecord = {
      id: nextId(),
      createdAt: Date.now(),
      violation: violationSummary(violation),
      applied: false,
      reason: '',
      passRateBefore: report.passRate,
      timings: {},
    };
    const earlier = fixedBy.get(violation.scenarioId);
    const stale = earlier ? [] : staleEvidence(found, appliedPatches);
    if (earlier) {
      record.reason = `fixed by ${earlier}, applied earlier in this run`;
    } else if (stale.length) {
      // Its trace tells of lines a fix of this run has changed: a plan from it could undo that fix.
      record.reason = `not planned: its evidence is older than a fix applied earlier in this run, which changed ${stale.join(', ')}; the next smoke run shows whether it still fails`;
    } else {
      // Planned against the files as they are now, after any fix applied earlier in this run.
      const files = await listWorkspaceFiles(workspace);
      let planned = await planOne({ workspace, report, config, violation, files, read, planners, executors, tried: opts.tried?.[violation.id] });
      fillPlanned(record, planned);
      const validateOne = async (p: ViolationPlan): Promise<ValidationResult | undefined> => {
        if (!validator || !p.patch) return undefined;
        const t = performance.now();
        let result: ValidationResult;
        try {
          result = await validator({ workspace, config, report, violation, patch: p.patch, signal: opts.signal, progress });
        } catch (err) {
          if ((err as Error).name === 'AbortError') throw err;
          result = {
            status: 'failed',
            steps: [{ name: 'apply', status: 'failed', output: `validation failed to run: ${(err as Error).message}`, durationMs: 0 }],
            fixed: [],
            regressed: [],
          };
        }
        record.timings.validate = round((record.timings.validate ?? 0) + performance.now() - t);
        return result;
      };
      let validated: ValidationResult | undefined;
      if (planned.fix && planned.patch && planned.patchPolicy?.allowed && !report.foreignApp) {
        validated = await validateOne(planned);
        // A known fix that does not hold here gives way to the rest of the chain, and counts against its pattern.
        const learned = planned.fix;
        if (validated?.status === 'failed' && learned.planner.startsWith('learned')) {
          const failedValidation = validated;
          await patternStoreFor(workspace, config.learning)
            .then((store) => learnFromRecords(store, [{ violation: record.violation, plan: learned.plan, planner: learned.planner, applied: false, validation: failedValidation, diff: planned.patch!.diff }]))
            .catch(() => 0);
          const again = await planOne({ workspace, report, config, violation, files, read, planners: planners.filter((p) => !p.name.startsWith('learned')), executors, tried: opts.tried?.[violation.id] });
          delete record.validation;
          delete record.plan;
          delete record.planner;
          delete record.diff;
          delete record.diffStats;
          delete record.planPolicy;
          delete record.patchPolicy;
          fillPlanned(record, again);
          record.passedOver = [...(again.passedOver ?? []), { planner: learned.planner, fixId: learned.id, stage: 'validation', reason: validationReason(failedValidation) }];
          planned = again;
          validated = planned.fix && planned.patch && planned.patchPolicy?.allowed ? await validateOne(planned) : undefined;
        }
      }
      if (planned.fix && planned.patch && planned.patchPolicy?.allowed && report.foreignApp) {
        // Planned, so a person can read it; but neither the sandbox nor the workspace can show the
        // app a change: it runs another folder's code.
        record.reason = `not validated or applied: ${report.foreignApp}`;
      } else if (planned.fix && planned.patch && planned.patchPolicy?.allowed) {
        const validation = validated;
        if (validation) record.validation = validation;
        const label = planned.patchPolicy.label === 'safe' && planned.planPolicy?.label === 'safe' ? 'safe' : 'needs-review';
        const gated = violation.failureType === 'SECURITY' || violation.failureType === 'POLICY' ? violation.failureType : undefined;
        let ask: ApprovalReason | undefined;
        if (!validation) record.reason = 'not validated (no validator is available): no validation, no apply';
        else if (validation.status === 'checked') {
          record.reason = `checked (not run): ${validationReason(validation)}; not applied without a person's yes`;
          ask = 'checked';
        } else if (validation.status !== 'passed') record.reason = `validation ${validation.status}: ${validationReason(validation)}`;
        else if (label !== 'safe') {
          record.reason = `needs review (danger score ${planned.patchPolicy.dangerScore}): not applied without a person's yes`;
          ask = 'needs-review';
        } else if (gated) {
          record.reason = `needs review: a ${gated} failure is not fixed without a person's yes (safe, danger score ${planned.patchPolicy.dangerScore}, and validated)`;
          ask = gated === 'SECURITY' ? 'security' : 'policy';
        } else if (opts.apply === 'none') record.reason = 'dry run: safe and validated, would be applied';
        else if (approve === 'none') {
          record.reason = `needs review: every fix waits for a person (--approve none); safe (danger score ${planned.patchPolicy.dangerScore}) and validated`;
          ask = 'hold-all';
        } else {
          const t = performance.now();
          try {
            const checkpoint = await applyFix({ workspace, fix: planned.fix, patch: planned.patch });
            record.applied = true;
            record.checkpointId = checkpoint.id;
            record.reason = `applied: safe (danger score ${planned.patchPolicy.dangerScore}) and validated${validation.progress ? ` as progress: ${validation.progress}` : ''}`;
            // The sandbox installed what the fix adds for itself: the app needs it too.
            if (validation.afterApply?.length && config.app.process) {
              record.reason += `; the app's environment lacks what it adds: run ${validation.afterApply.map((c) => `\`${c}\``).join(' and ')} in the workspace`;
            }
            for (const f of planned.patch.files) {
              changed.add(f.file);
              appliedPatches.push(f);
            }
            for (const s of validation.fixed) if (!fixedBy.has(s)) fixedBy.set(s, planned.fix.id);
          } catch (err) {
            if (!(err instanceof ApplyError)) throw err;
            record.reason = `not applied: ${err.message}`;
          }
          record.timings.apply = round(performance.now() - t);
        }
        if (ask && validation && opts.apply !== 'none') {
          const { approval, opened } = await openApproval(workspace, {
            record,
            fix: planned.fix,
            patch: planned.patch,
            why: ask,
            validation: { status: validation.status, summary: validationReason(validation), fixed: validation.fixed },
            ...(opts.loopId ? { loopId: opts.loopId } : {}),
          });
          record.approvalId = approval.id;
          if (opened) record.reason += `; a person is asked (${approval.id})`;
          else if (approval.status === 'rejected') record.reason += `; rejected by ${approval.decision?.by ?? 'a person'} (${approval.id}), not asked again`;
          else record.reason += `; still waiting for a person (${approval.id})`;
          if (opened) approvals.opened.push(approval);
        }
      }
    }
    records.push(record);
    recordFiles.push(await writeRecord(workspace, record));
  }

  let passRateAfter = report.passRate;
  let passedAfter = report.passed;
  let total = report.total;
  let reportAfter: SmokeReport | undefined;
  let reload: string | undefined;
  if (changed.size > 0) {
    if (opts.reload !== false) {
      progress.report('Reloading the app', 0.85);
      const t = performance.now();
      reload = await reloadApp(workspace, config, [...changed].sort(), progress, opts.signal);
      passTimings.reload = round(performance.now() - t);
    }
    progress.report('Running smoke again', 0.9);
    const t = performance.now();
    reportAfter = await runSmoke({ workspace, configFile: opts.configFile, progress: silentProgress, signal: opts.signal });
    passTimings.smokeAgain = round(performance.now() - t);
    passRateAfter = reportAfter.passRate;
    passedAfter = reportAfter.passed;
    total = reportAfter.total;
  }
  for (const [i, record] of records.entries()) {
    record.passRateAfter = passRateAfter;
    recordFiles[i] = await writeRecord(workspace, record);
  }
  // What the attempts taught: fixes kept and fixes that failed validation, as patterns.
  // Learning never stops a repair: a store that cannot be written is said, and the pass goes on.
  if (opts.apply !== 'none' && config.learning?.enabled !== false) {
    await patternStoreFor(workspace, config.learning)
      .then((store) => learnFromRecords(store, records))
      .catch((err: Error) => progress.report(`Not learned from this pass: ${err.message}`));
  }
  return {
    runId,
    workspace,
    records,
    recordFiles,
    passRateBefore: report.passRate,
    passRateAfter,
    passedBefore: report.passed,
    passedAfter,
    total,
    counts: {
      violations: violations.length,
      planned: records.filter((r) => r.plan).length,
      noPlan: records.filter((r) => r.noPlan).length,
      validated: records.filter((r) => r.validation?.status === 'passed').length,
      applied: records.filter((r) => r.applied).length,
    },
    reload,
    smokeAgain: reportAfter !== undefined,
    reportAfter,
    reportBefore: report,
    timings: passTimings,
    approvals,
  };
}

/**
 * A record of planning alone (`smoke-repair plan`, the editor's background planning) when a
 * planner sent a prompt to a model: what left the machine is kept like any repair attempt's.
 * Returns the file, or undefined when no prompt was sent.
 */
export async function recordPrompts(workspace: string, report: SmokeReport, planned: ViolationPlan, id: string, why: string): Promise<string | undefined> {
  if (!planned.prompts?.length) return undefined;
  const record: RepairRecord = { id, createdAt: Date.now(), violation: violationSummary(planned.violation), applied: false, reason: '', passRateBefore: report.passRate, timings: {} };
  fillPlanned(record, planned);
  record.reason = record.reason ? `${why}; ${record.reason}` : why;
  return writeRecord(workspace, record);
}

function fillPlanned(record: RepairRecord, planned: ViolationPlan): void {
  if (planned.prompts?.length) record.prompts = planned.prompts;
  record.timings.plan = planned.timings.plan;
  record.timings.policy = planned.timings.policy;
  if (planned.timings.patch !== undefined) record.timings.patch = planned.timings.patch;
  if (planned.passedOver.length) record.passedOver = planned.passedOver;
  if (planned.noPlan) {
    record.noPlan = planned.noPlan;
    record.reason = planned.noPlan.reason;
    return;
  }
  const fix = planned.fix!;
  record.planner = fix.planner;
  record.plan = fix.plan;
  record.planPolicy = planned.planPolicy;
  if (!planned.planPolicy?.allowed) {
    record.reason = `plan blocked by policy: ${planned.planPolicy?.reasons.filter((r) => r.startsWith('blocked:')).join('; ')}`;
    return;
  }
  if (planned.patchError) {
    record.reason = `no patch: ${planned.patchError.message}`;
    return;
  }
  record.diff = planned.patch!.diff;
  record.diffStats = planned.patch!.stats;
  record.patchPolicy = planned.patchPolicy;
  if (!planned.patchPolicy?.allowed) {
    record.reason = `patch blocked by policy: ${planned.patchPolicy?.reasons.filter((r) => r.startsWith('blocked:')).join('; ')}`;
  }
}


export interface RollbackFixOptions {
  workspace: string;
  configFile?: string;
  checkpointId?: string;
  force?: boolean;
  /** Restart (or rebuild) the app afterwards, so it serves the restored code. Default true. */
  reload?: boolean;
  progress?: Progress;
  signal?: AbortSignal;
}

/**
 * Roll back a fix (the last one, or a checkpoint) byte for byte, then reload the app: files under a
 * bind mount need a restart, files the image copies a rebuild (when allowed). Without the reload the
 * next smoke run would still see the fixed code. Throws ApplyError like `rollback`.
 */
export async function rollbackFix(opts: RollbackFixOptions): Promise<RollbackResult & { reload?: string }> {
  const [r, reload] = await rollbackAndReload(opts, [opts.checkpointId]);
  return { ...r[0]!, ...(reload !== undefined ? { reload } : {}) };
}

/**
 * Roll back several fixes in the order given (the last applied first), then reload the app once
 * for every file they restored or deleted. Throws ApplyError like `rollback`, at the first that
 * cannot be rolled back (those before it stay rolled back).
 */
export async function rollbackFixes(opts: Omit<RollbackFixOptions, 'checkpointId'> & { checkpointIds: string[] }): Promise<{ results: RollbackResult[]; reload?: string }> {
  const [results, reload] = await rollbackAndReload(opts, opts.checkpointIds);
  return { results, ...(reload !== undefined ? { reload } : {}) };
}

async function rollbackAndReload(opts: Omit<RollbackFixOptions, 'checkpointId'>, ids: Array<string | undefined>): Promise<[RollbackResult[], string | undefined]> {
  const workspace = path.resolve(opts.workspace);
  const results: RollbackResult[] = [];
  for (const checkpointId of ids) results.push(await rollback(workspace, { checkpointId, force: opts.force }));
  if (opts.reload === false) return [results, undefined];
  const loaded = await loadConfig(workspace, opts.configFile);
  if (!loaded.ok) return [results, `not reloaded: ${path.basename(loaded.file)} has problems (${loaded.errors[0]?.message ?? 'run smoke to see them'})`];
  const files = [...new Set(results.flatMap((r) => [...r.restored, ...r.deleted]))].sort();
  return [results, await reloadApp(workspace, loaded.config, files, opts.progress ?? silentProgress, opts.signal)];
}
