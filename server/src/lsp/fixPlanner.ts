import { randomBytes } from 'node:crypto';
import { loadConfig } from '../engine/config';
import type { SmokeConfig } from '../engine/config/schema';
import { silentProgress, type SmokeReport, type Violation } from '../engine/model';
import { defaultExecutors, defaultPlanners, defaultValidator } from '../engine/repair/defaults';
import { shiftViolation, staleEvidence } from '../engine/repair/lineShift';
import { planOne, type ViolationPlan } from '../engine/repair/planOne';
import { recordPrompts } from '../engine/repair';
import type { FilePatch, Planner, ValidationResult } from '../engine/contracts';
import type { Validator } from '../engine/contracts';
import { workspaceReader } from '../engine/repair/workspaceFiles';
import { listWorkspaceFiles } from '../engine/traces/pathmap';
import type { FixesPlannedNotification } from '../protocol';
import { fixStatus, planSummary, type FixCache, type FixEntry, type ReadyFix } from './fixCache';
import type { WorkspaceFolderRef } from './smokeRunner';

/** Work-done progress as the planner uses it. */
export interface PlanningProgress {
  report(message: string, percentage: number): void;
  done(): void;
}

export interface FixPlannerHost {
  cache: FixCache;
  log(message: string): void;
  /** A work-done progress the client shows, or undefined when it has none. */
  progress(title: string): Promise<PlanningProgress | undefined>;
  planned(params: FixesPlannedNotification.Params): void;
  /** Planner chain for a config (defaults to the engine's). */
  planners?(config: SmokeConfig): Planner[];
  validator?: Validator;
}

interface FolderState {
  folder: WorkspaceFolderRef;
  report: SmokeReport;
  configFile?: string;
  controller: AbortController;
  /** Patches applied since the run, so later violations' lines are moved through them. */
  applied: FilePatch[];
}

/**
 * Why no fix is planned for a violation: the app runs another folder's code (nothing written here
 * would reach it), or a fix applied since the run changed the lines its trace tells of (a plan from
 * that trace could undo the fix; the next run shows whether it still fails).
 */
function refusal(state: FolderState, v: Violation): string | undefined {
  if (state.report.foreignApp) return `no fix: ${state.report.foreignApp}`;
  const stale = staleEvidence(v, state.applied);
  if (stale.length) return `no plan: a fix applied since this run changed ${stale.join(', ')}, where its trace runs; run smoke again to see whether it still fails`;
  return undefined;
}

/**
 * Plans a fix for every violation of a run in the background, one violation at a time (the
 * engine's planner chain, plan policy, patch, patch policy and sandbox validation), and keeps the
 * results in the FixCache. A new run of the folder cancels what is left of the previous one.
 */
export class BackgroundPlanner {
  private readonly folders = new Map<string, FolderState>();
  private tail: Promise<void> = Promise.resolve();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly host: FixPlannerHost) {}

  /** The report fixes of a folder are planned against. */
  report(folderUri: string): SmokeReport | undefined {
    return this.folders.get(folderUri)?.report;
  }

  /** Starts planning every violation of a fresh run; cancels the folder's earlier planning. */
  start(folder: WorkspaceFolderRef, report: SmokeReport, configFile?: string): Promise<void> {
    this.folders.get(folder.uri)?.controller.abort();
    this.host.cache.clearFolder(folder.uri);
    const state: FolderState = { folder, report, configFile, controller: new AbortController(), applied: [] };
    this.folders.set(folder.uri, state);
    for (const v of report.violations) this.host.cache.set({ state: 'planning', folderUri: folder.uri, violationId: v.id });
    return this.enqueue(folder.uri, () => this.planAll(state, report.violations));
  }

  /** Plans one violation again (its files changed, or a fix was applied before it). */
  replan(folderUri: string, violationId: string): Promise<void> {
    const state = this.folders.get(folderUri);
    const v = state?.report.violations.find((x) => x.id === violationId);
    if (!state || !v) return Promise.resolve();
    if (this.host.cache.get(folderUri, violationId)?.state === 'planning' && this.pending.has(folderUri)) return this.whenIdle(folderUri);
    this.host.cache.set({ state: 'planning', folderUri, violationId });
    return this.enqueue(folderUri, () => this.planAll(state, [v], false));
  }

  /** Notes patches written to the folder (later planning moves lines through them). */
  noteApplied(folderUri: string, patches: FilePatch[]): void {
    this.folders.get(folderUri)?.applied.push(...patches);
  }

  /** Resolves when the folder's queued planning has finished. */
  whenIdle(folderUri: string): Promise<void> {
    return this.pending.get(folderUri) ?? Promise.resolve();
  }

  cancel(folderUri?: string): void {
    for (const [uri, s] of this.folders) if (folderUri === undefined || uri === folderUri) s.controller.abort();
  }

  private enqueue(folderUri: string, job: () => Promise<void>): Promise<void> {
    const run = this.tail.then(job, job).catch((err) => this.host.log(`planning fixes failed: ${(err as Error)?.stack ?? String(err)}`));
    this.tail = run;
    this.pending.set(folderUri, run);
    void run.then(() => {
      if (this.pending.get(folderUri) === run) this.pending.delete(folderUri);
    });
    return run;
  }

  private async planAll(state: FolderState, violations: Violation[], announce = true): Promise<void> {
    const { folder, controller } = state;
    const signal = controller.signal;
    if (signal.aborted || violations.length === 0) return;
    const loaded = await loadConfig(folder.path, state.configFile);
    if (!loaded.ok) {
      for (const v of violations) this.host.cache.set({ state: 'none', folderUri: folder.uri, violationId: v.id, reason: `no plan: the config file has problems (${loaded.errors[0]?.message ?? 'see the problems view'})` });
      return;
    }
    const config = loaded.config;
    const planners = this.host.planners?.(config) ?? defaultPlanners(config);
    const validator = this.host.validator ?? defaultValidator;
    const progress = announce ? await this.host.progress('Planning fixes') : undefined;
    const started = Date.now();
    // One reader and one file list per round: a file read for many violations is held once, not
    // once per fix, and the workspace is walked once, not once per violation.
    const read = workspaceReader(folder.path);
    let listing: Promise<string[]> | undefined;
    const files = () => (listing ??= listWorkspaceFiles(folder.path));
    try {
      for (const [i, found] of violations.entries()) {
        if (signal.aborted) break;
        progress?.report(`Planning fixes ${i + 1}/${violations.length}`, Math.round((i / violations.length) * 100));
        const refused = refusal(state, found);
        if (refused) {
          this.host.cache.set({ state: 'none', folderUri: folder.uri, violationId: found.id, reason: refused });
          continue;
        }
        const entry = await this.planViolation(state, config, shiftViolation(found, state.applied), planners, validator, { files, read }, signal);
        if (signal.aborted) break;
        this.host.cache.set(entry);
      }
    } finally {
      progress?.done();
    }
    const entries = violations.map((v) => this.host.cache.get(folder.uri, v.id));
    if (signal.aborted) {
      for (const e of entries) if (e?.state === 'planning') this.host.cache.set({ state: 'none', folderUri: folder.uri, violationId: e.violationId, reason: 'planning was cancelled (a new run started)' });
    }
    this.host.log(`${folder.path}: planned ${violations.length} fix(es) in ${Date.now() - started} ms${signal.aborted ? ' (cancelled)' : ''}`);
    if (announce) {
      this.host.planned({
        folderUri: folder.uri,
        ready: entries.filter((e) => e?.state === 'ready').length,
        noPlan: entries.filter((e) => e?.state === 'none').length,
        safe: entries.filter((e) => e?.state === 'ready' && e.status.kind === 'safe').length,
        cancelled: signal.aborted,
      });
    }
  }

  /** What was sent to a model while planning is kept in a run record (`.smoke-repair/runs/`), as a repair would keep it. */
  private async recordPrompts(state: FolderState, planned: ViolationPlan): Promise<void> {
    try {
      const file = await recordPrompts(state.folder.path, state.report, planned, `editor-${randomBytes(4).toString('hex')}`, 'planned in the editor');
      if (file) this.host.log(`${planned.violation.id}: the prompt sent to the model is recorded in ${file}`);
    } catch (err) {
      this.host.log(`${planned.violation.id}: could not record the prompt sent to the model: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private async planViolation(
    state: FolderState,
    config: SmokeConfig,
    violation: Violation,
    planners: Planner[],
    validator: Validator | undefined,
    workspace: { files: () => Promise<string[]>; read: (file: string) => Promise<string | undefined> },
    signal: AbortSignal,
  ): Promise<FixEntry> {
    const { folder, report } = state;
    const base = { folderUri: folder.uri, violationId: violation.id };
    try {
      const files = await workspace.files();
      const planned = await planOne({ workspace: folder.path, report, config, violation, files, read: workspace.read, planners, executors: defaultExecutors });
      await this.recordPrompts(state, planned);
      for (const p of planned.passedOver) this.host.log(`${violation.id}: passed over ${p.planner} plan ${p.fixId}: ${p.stage}: ${p.reason}`);
      if (planned.noPlan) return { ...base, state: 'none', reason: planned.noPlan.reason };
      const blocked = (d?: { reasons: string[] }) => d?.reasons.filter((r) => r.startsWith('blocked:')).join('; ');
      if (!planned.planPolicy?.allowed) return { ...base, state: 'none', reason: `plan blocked by policy: ${blocked(planned.planPolicy)}` };
      if (planned.patchError || !planned.patch) return { ...base, state: 'none', reason: `no patch: ${planned.patchError?.message ?? 'the patch could not be made'}` };
      if (!planned.patchPolicy?.allowed) return { ...base, state: 'none', reason: `patch blocked by policy: ${blocked(planned.patchPolicy)}` };
      let validation: ValidationResult | undefined;
      if (validator) {
        const t = Date.now();
        try {
          validation = await validator({ workspace: folder.path, config, report, violation, patch: planned.patch, signal, progress: silentProgress });
        } catch (err) {
          if (signal.aborted) return { ...base, state: 'none', reason: 'planning was cancelled' };
          validation = { status: 'failed', steps: [{ name: 'apply', status: 'failed', output: `validation failed to run: ${(err as Error).message}`, durationMs: Date.now() - t }], fixed: [], regressed: [] };
        }
      }
      const ready = planned as ReadyFix['planned'];
      return {
        ...base,
        state: 'ready',
        folderPath: folder.path,
        fixId: ready.fix.id,
        planned: ready,
        validation,
        status: fixStatus(ready, validation),
        summary: planSummary(ready.fix.plan.operations),
      };
    } catch (err) {
      if (signal.aborted) return { ...base, state: 'none', reason: 'planning was cancelled' };
      this.host.log(`planning ${violation.id} failed: ${(err as Error)?.stack ?? String(err)}`);
      return { ...base, state: 'none', reason: `no plan: planning failed (${(err as Error)?.message ?? String(err)})` };
    }
  }
}
