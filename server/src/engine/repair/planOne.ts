import { performance } from 'node:perf_hooks';
import type { SmokeConfig } from '../config/schema';
import type { SmokeReport, Violation } from '../model';
import { generatePatch, type ExecutorMap } from '../patch';
import { planViolation, type TriedPlanner } from '../plan';
import { patchPolicy, planPolicy } from '../policy';
import { PatchError, type NoPlan, type Patch, type PlannedFix, type Planner, type PlanningContext, type PolicyDecision } from './types';

/** Everything known about one violation after planning: the plan (or why none), both policy decisions and the patch. */
export interface ViolationPlan {
  violation: Violation;
  fix?: PlannedFix;
  noPlan?: NoPlan & { tried: TriedPlanner[] };
  planPolicy?: PolicyDecision;
  patch?: Patch;
  patchError?: { message: string; file: string; operationIndex: number; line?: number };
  patchPolicy?: PolicyDecision;
  /** Milliseconds per stage. */
  timings: { plan: number; policy: number; patch?: number };
}

export interface PlanOneInput {
  workspace: string;
  report: SmokeReport;
  config: SmokeConfig;
  violation: Violation;
  files: string[];
  read: (file: string) => Promise<string | undefined>;
  planners: Planner[];
  executors: ExecutorMap;
}

const ms = (start: number) => Math.round((performance.now() - start) * 100) / 100;

/** plan → plan policy → patch → patch policy for one violation, timed. */
export async function planOne(input: PlanOneInput): Promise<ViolationPlan> {
  const ctx: PlanningContext = {
    workspace: input.workspace,
    violation: input.violation,
    report: input.report,
    config: input.config,
    files: input.files,
    read: input.read,
  };
  let t = performance.now();
  const planned = await planViolation(ctx, input.planners);
  const timings: ViolationPlan['timings'] = { plan: ms(t), policy: 0 };
  if ('noPlan' in planned) return { violation: input.violation, noPlan: planned.noPlan, timings };
  const fix = planned.fix;

  t = performance.now();
  const planDecision = await planPolicy(fix.plan, { workspace: input.workspace, planner: fix.planner });
  timings.policy = ms(t);
  const result: ViolationPlan = { violation: input.violation, fix, planPolicy: planDecision, timings };
  if (!planDecision.allowed) return result;

  t = performance.now();
  try {
    result.patch = await generatePatch(fix.plan, input.read, input.executors, { workspace: input.workspace });
  } catch (err) {
    timings.patch = ms(t);
    if (!(err instanceof PatchError)) throw err;
    result.patchError = { message: err.message, file: err.file, operationIndex: err.operationIndex, ...(err.line !== undefined ? { line: err.line } : {}) };
    return result;
  }
  timings.patch = ms(t);

  t = performance.now();
  result.patchPolicy = await patchPolicy(result.patch, fix.plan, { workspace: input.workspace, planner: fix.planner });
  timings.policy = Math.round((timings.policy + ms(t)) * 100) / 100;
  return result;
}
