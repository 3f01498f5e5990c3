import type { FixPlan } from '../fixPlan';
import type { Patch, PolicyDecision } from '../contracts';
import { blockedByName, escapesWorkspace } from '../files/paths';
import { patchScore, planScore, type ScorePart } from './score';

export { blockedByName, escapesWorkspace } from '../files/paths';
export { DANGEROUS_CALLS, OPERATION_WEIGHTS, sensitiveKind } from './score';

/**
 * The policy: may this plan (or patch) be written at all, and how dangerous is it? Blocked
 * decisions are never safe. The score adds the parts in score.ts; at or below SAFE_THRESHOLD the
 * label is `safe`, above it `needs-review` (a person approves before anything is written).
 */

/** Highest danger score still labelled `safe`. */
export const SAFE_THRESHOLD = 30;

export interface PolicyOptions {
  workspace: string;
  /** The planner that made the plan: a language model's plans always go to a person. */
  planner?: string;
}

/** Points that put a model-made plan above the safe threshold whatever else it scores. */
const MODEL_MADE = SAFE_THRESHOLD + 1;

function plannerParts(opts: PolicyOptions): ScorePart[] {
  return opts.planner === 'llm' ? [{ points: MODEL_MADE, reason: `planned by a language model: a person reviews it (+${MODEL_MADE})` }] : [];
}

async function blockedPaths(files: string[], workspace: string): Promise<string[]> {
  const reasons: string[] = [];
  for (const file of files) {
    const byName = blockedByName(file);
    if (byName) reasons.push(`blocked: ${byName}`);
    const out = await escapesWorkspace(workspace, file);
    if (out) reasons.push(`blocked: ${out}`);
  }
  return reasons;
}

function decide(blocked: string[], parts: ScorePart[]): PolicyDecision {
  const score = Math.min(100, parts.reduce((n, p) => n + p.points, 0));
  const allowed = blocked.length === 0;
  const dangerScore = allowed ? score : 100;
  const label = allowed && dangerScore <= SAFE_THRESHOLD ? 'safe' : 'needs-review';
  const reasons = [...blocked, ...parts.map((p) => p.reason)];
  reasons.push(allowed ? `danger score ${dangerScore} (safe at or below ${SAFE_THRESHOLD})` : 'blocked: nothing may be written');
  return { allowed, dangerScore, label, reasons };
}

/** The decision on a plan, before any patch exists. */
export async function planPolicy(plan: FixPlan, opts: PolicyOptions): Promise<PolicyDecision> {
  const files = [...new Set([...plan.files, ...plan.operations.map((o) => o.file)])].sort();
  return decide(await blockedPaths(files, opts.workspace), [...plannerParts(opts), ...planScore(plan)]);
}

/** The decision on a patch: everything the plan decision checks, plus what the diff shows. */
export async function patchPolicy(patch: Patch, plan: FixPlan, opts: PolicyOptions): Promise<PolicyDecision> {
  const planFiles = new Set(plan.files);
  const blocked: string[] = [];
  for (const f of patch.files) if (!planFiles.has(f.file)) blocked.push(`blocked: ${f.file}: the patch touches a file that is not in the plan`);
  const files = [...new Set([...plan.files, ...patch.files.map((f) => f.file)])].sort();
  blocked.push(...(await blockedPaths(files, opts.workspace)));
  return decide(blocked, [...plannerParts(opts), ...planScore(plan), ...patchScore(patch)]);
}
