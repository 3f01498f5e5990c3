import { performance } from 'node:perf_hooks';
import type { SmokeConfig } from '../config/schema';
import type { SmokeReport, Violation } from '../model';
import { generatePatch, type ExecutorMap } from '../patch';
import { planCandidates, type TriedPlanner } from '../plan';
import { patchPolicy, planPolicy } from '../policy';
import { redactorFor } from '../smoke/decorate';
import { PatchError, type NoPlan, type PassedOver, type Patch, type PlannedFix, type Planner, type PlanningContext, type PolicyDecision, type SentPrompt } from '../contracts';

/** Everything known about one violation after planning: the plan (or why none), both policy decisions, the patch and the plans passed over. */
export interface ViolationPlan {
  violation: Violation;
  fix?: PlannedFix;
  noPlan?: NoPlan & { tried: TriedPlanner[] };
  planPolicy?: PolicyDecision;
  patch?: Patch;
  patchError?: { message: string; file: string; operationIndex: number; line?: number };
  patchPolicy?: PolicyDecision;
  /** Candidates not used because a policy blocked them or they did not patch, in the order tried. */
  passedOver: PassedOver[];
  /** Milliseconds per stage, over every candidate tried. */
  timings: { plan: number; policy: number; patch?: number };
  /** The requests sent to a model while planning, as they left the machine (redacted). */
  prompts?: SentPrompt[];
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
  /** What earlier iterations tried for this failure (the loop's regeneration reads it). */
  tried?: string[];
}

const ms = (start: number) => Math.round((performance.now() - start) * 100) / 100;
const add = (a: number | undefined, b: number) => Math.round(((a ?? 0) + b) * 100) / 100;

/**
 * plan → plan policy → patch → patch policy for one violation, timed. Candidates are tried in the
 * planner chain's order until one is allowed by both policies and patches; those that are not are
 * listed in `passedOver`. When none can be used, the result is the first candidate's, and the
 * others are in `passedOver`. A needs-review label is not a reason to try another.
 */
export async function planOne(input: PlanOneInput): Promise<ViolationPlan> {
  const prompts: SentPrompt[] = [];
  const planned = await planCandidatesOf(input, {
    workspace: input.workspace,
    violation: input.violation,
    report: input.report,
    config: input.config,
    files: input.files,
    read: input.read,
    redactor: redactorFor(input.config),
    sent: (p) => void prompts.push(p),
    ...(input.tried?.length ? { tried: input.tried } : {}),
  });
  return prompts.length ? { ...planned, prompts } : planned;
}

async function planCandidatesOf(input: PlanOneInput, ctx: PlanningContext): Promise<ViolationPlan> {
  const timings: ViolationPlan['timings'] = { plan: 0, policy: 0 };
  const passedOver: PassedOver[] = [];
  let first: ViolationPlan | undefined;
  let t = performance.now();
  for await (const planned of planCandidates(ctx, input.planners)) {
    timings.plan = add(timings.plan, ms(t));
    if ('noPlan' in planned) {
      if (!first) return { violation: input.violation, noPlan: planned.noPlan, passedOver, timings };
      break;
    }
    const result = await tryFix(input, planned.fix, timings);
    const stopped = stoppedAt(result);
    if (!stopped) return { ...result, passedOver };
    passedOver.push({ planner: planned.fix.planner, fixId: planned.fix.id, ...stopped });
    first ??= result;
    t = performance.now();
  }
  // None can be used: the first stands for the violation, the others are listed after it.
  return { ...first!, passedOver: passedOver.slice(1) };
}

/** Plan policy, patch and patch policy for one candidate; adds to `timings`. */
async function tryFix(input: PlanOneInput, fix: PlannedFix, timings: ViolationPlan['timings']): Promise<ViolationPlan> {
  let t = performance.now();
  const planDecision = await planPolicy(fix.plan, { workspace: input.workspace, planner: fix.planner });
  timings.policy = add(timings.policy, ms(t));
  const result: ViolationPlan = { violation: input.violation, fix, planPolicy: planDecision, passedOver: [], timings };
  if (!planDecision.allowed) return result;

  t = performance.now();
  try {
    result.patch = await generatePatch(fix.plan, input.read, input.executors, { workspace: input.workspace });
  } catch (err) {
    timings.patch = add(timings.patch, ms(t));
    if (!(err instanceof PatchError)) throw err;
    result.patchError = { message: err.message, file: err.file, operationIndex: err.operationIndex, ...(err.line !== undefined ? { line: err.line } : {}) };
    return result;
  }
  timings.patch = add(timings.patch, ms(t));

  t = performance.now();
  result.patchPolicy = await patchPolicy(result.patch, fix.plan, { workspace: input.workspace, planner: fix.planner });
  timings.policy = add(timings.policy, ms(t));
  return result;
}

/** Why a candidate cannot be used (blocked by a policy, or no patch), or undefined when it can. */
function stoppedAt(r: ViolationPlan): Pick<PassedOver, 'stage' | 'reason'> | undefined {
  const blocked = (d: PolicyDecision) => d.reasons.filter((x) => x.startsWith('blocked:')).join('; ') || d.reasons.join('; ');
  if (r.planPolicy && !r.planPolicy.allowed) return { stage: 'plan-policy', reason: blocked(r.planPolicy) };
  if (r.patchError) return { stage: 'patch', reason: r.patchError.message };
  if (r.patchPolicy && !r.patchPolicy.allowed) return { stage: 'patch-policy', reason: blocked(r.patchPolicy) };
  return undefined;
}
