import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { fixPlanSchema } from '../fixPlan';
import { generatePatch, type ExecutorMap, type ReadFile } from '../patch';
import { readJsonFolder, repairRecordSchema, writeJsonFile, type RecordProblem } from '../records';
import type { Patch, PlannedFix, RepairRecord } from '../contracts';
import { learningOf, learnRejected } from '../learn';

/**
 * Approvals: a fix the policy holds for a person (needs review, checked without running its
 * scenarios, a SECURITY or POLICY failure, or every fix under `--approve none`) waits in
 * `.smoke-repair/approvals/<id>.json` with its plan, the hashes of the files it was made on and its
 * diff. A person approves or rejects it (who and when are recorded); the next repair pass, or the
 * approval itself when nothing else runs, applies an approved fix, after making its patch again
 * from the plan and checking that it is byte for byte the diff the person saw.
 */

export const APPROVALS_DIR = path.join('.smoke-repair', 'approvals');

export const APPROVAL_REASONS = ['needs-review', 'checked', 'security', 'policy', 'hold-all'] as const;
export type ApprovalReason = (typeof APPROVAL_REASONS)[number];

export const approvalSchema = z.object({
  version: z.literal(1),
  id: z.string().regex(/^apr-[A-Za-z0-9._-]+$/),
  createdAt: z.number(),
  /** pending → approved | rejected | superseded (a newer fix for the same failure); approved → applied | stale. */
  status: z.enum(['pending', 'approved', 'rejected', 'superseded', 'applied', 'stale']),
  why: z.enum(APPROVAL_REASONS),
  /** The repair record's reason, in words. */
  reason: z.string(),
  recordId: z.string(),
  loopId: z.string().optional(),
  violation: repairRecordSchema.shape.violation,
  planner: z.string(),
  fixId: z.string(),
  plan: fixPlanSchema,
  /** sha256 of each plan file when the plan was made (null: the file did not exist). */
  base: z.record(z.string(), z.string().nullable()),
  diff: z.string(),
  dangerScore: z.number(),
  label: z.enum(['safe', 'needs-review']),
  /** The validation's status and summary, and the scenario ids it showed passing with the fix. */
  validation: z.object({ status: z.enum(['passed', 'checked', 'failed', 'skipped']), summary: z.string(), fixed: z.array(z.string()).default([]) }),
  decision: z.object({ decision: z.enum(['approved', 'rejected']), by: z.string(), at: z.number(), note: z.string().optional() }).optional(),
  supersededBy: z.string().optional(),
  /** What became of an approved fix: applied (with its record and checkpoint), or stale (why not). */
  outcome: z.object({ at: z.number(), detail: z.string(), recordId: z.string().optional(), checkpointId: z.string().optional() }).optional(),
});

export type Approval = z.infer<typeof approvalSchema>;

/** A decision that cannot be made: no such approval, or it was decided already. */
export class ApprovalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApprovalError';
  }
}

/** Who decides: the operating-system user, unless a name is given (`--approver`). */
export function approverName(given?: string): string {
  if (given?.trim()) return given.trim();
  try {
    return userInfo().username || process.env.USER || 'unknown';
  } catch {
    return process.env.USER || process.env.USERNAME || 'unknown';
  }
}

function approvalFile(workspace: string, id: string): string {
  return path.join(path.resolve(workspace), APPROVALS_DIR, `${id}.json`);
}

async function save(workspace: string, a: Approval): Promise<Approval> {
  await writeJsonFile(approvalFile(workspace, a.id), a);
  return a;
}

/** Every approval, oldest first; a file that does not parse is reported, never fatal. */
export async function listApprovals(workspace: string): Promise<{ approvals: Approval[]; problems: RecordProblem[] }> {
  const { items, problems } = await readJsonFolder(path.join(path.resolve(workspace), APPROVALS_DIR), approvalSchema);
  return { approvals: items.sort((a, b) => a.createdAt - b.createdAt), problems };
}

export interface OpenApprovalInput {
  record: RepairRecord;
  fix: PlannedFix;
  patch: Patch;
  why: ApprovalReason;
  validation: { status: Approval['validation']['status']; summary: string; fixed?: string[] };
  loopId?: string;
}

/**
 * Ask a person about a fix. The same fix (same failure, same diff) still pending is asked once: its
 * entry is returned with `opened: false`. A pending fix for the same failure with another diff is
 * superseded by the new one.
 */
export async function openApproval(workspace: string, input: OpenApprovalInput): Promise<{ approval: Approval; opened: boolean }> {
  const { approvals } = await listApprovals(workspace);
  const { record, fix, patch } = input;
  const pendingSame = approvals.filter((a) => a.status === 'pending' && a.violation.id === record.violation.id);
  const same = pendingSame.find((a) => a.diff === patch.diff);
  if (same) return { approval: same, opened: false };
  // A person said no to this very fix: it is not asked again.
  const refused = approvals.findLast((a) => a.status === 'rejected' && a.violation.id === record.violation.id && a.diff === patch.diff);
  if (refused) return { approval: refused, opened: false };
  const now = Date.now();
  const approval: Approval = {
    version: 1,
    id: `apr-${new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '').slice(0, 15)}-${randomBytes(3).toString('hex')}`,
    createdAt: now,
    status: 'pending',
    why: input.why,
    reason: record.reason,
    recordId: record.id,
    ...(input.loopId ? { loopId: input.loopId } : {}),
    violation: record.violation,
    planner: fix.planner,
    fixId: fix.id,
    plan: fix.plan,
    base: fix.base,
    diff: patch.diff,
    dangerScore: record.patchPolicy?.dangerScore ?? 0,
    label: record.patchPolicy?.label ?? 'needs-review',
    validation: { ...input.validation, fixed: input.validation.fixed ?? [] },
  };
  await save(workspace, approval);
  for (const older of pendingSame) await save(workspace, { ...older, status: 'superseded', supersededBy: approval.id });
  return { approval, opened: true };
}

/** Find one approval by its id (or a unique start of it). */
export async function findApproval(workspace: string, id: string): Promise<Approval> {
  const { approvals } = await listApprovals(workspace);
  const exact = approvals.find((a) => a.id === id);
  const matches = exact ? [exact] : approvals.filter((a) => a.id.startsWith(id));
  if (matches.length === 1) return matches[0]!;
  const pending = approvals.filter((a) => a.status === 'pending').map((a) => a.id);
  if (matches.length > 1) throw new ApprovalError(`"${id}" names ${matches.length} approvals (${matches.map((a) => a.id).join(', ')}); give more of the id`);
  throw new ApprovalError(`no approval "${id}" in ${APPROVALS_DIR}${pending.length ? ` (pending: ${pending.join(', ')})` : ' (none is pending)'}`);
}

/** Record a person's decision on a pending approval. */
export async function decideApproval(workspace: string, id: string, decision: 'approved' | 'rejected', by: string, note?: string): Promise<Approval> {
  const a = await findApproval(workspace, id);
  if (a.status !== 'pending') {
    const was = a.decision ? ` by ${a.decision.by} at ${new Date(a.decision.at).toISOString()}` : a.supersededBy ? ` by ${a.supersededBy}` : '';
    throw new ApprovalError(`${a.id} is ${a.status}${was}: only a pending approval can be ${decision}`);
  }
  const decided = await save(workspace, { ...a, status: decision, decision: { decision, by, at: Date.now(), ...(note?.trim() ? { note: note.trim() } : {}) } });
  // A fix a person said no to counts against its pattern.
  if (decision === 'rejected') await learnRejected(workspace, { violation: a.violation, plan: a.plan, planner: a.planner, applied: false, diff: a.diff }, await learningOf(workspace));
  return decided;
}

/** An approved fix made ready to apply: its plan as a PlannedFix and the patch made again, identical to the approved diff. */
export type ApprovedFix = { approval: Approval; fix: PlannedFix; patch: Patch } | { approval: Approval; stale: string };

/**
 * The approved fixes not applied yet, each with its patch made again from the plan on the files as
 * they are now. A fix whose patch no longer comes out as the diff the person approved (a file
 * changed since) is stale: it is never applied in another form.
 */
export async function approvedFixes(workspace: string, read: ReadFile, executors?: ExecutorMap): Promise<ApprovedFix[]> {
  const { approvals } = await listApprovals(workspace);
  const out: ApprovedFix[] = [];
  for (const approval of approvals.filter((a) => a.status === 'approved')) {
    const fix: PlannedFix = { id: approval.fixId, violationId: approval.violation.id, planner: approval.planner, plan: approval.plan, base: approval.base, createdAt: approval.createdAt };
    try {
      const patch = await generatePatch(approval.plan, read, executors, { workspace });
      if (patch.diff !== approval.diff) out.push({ approval, stale: 'the files it changes changed since it was approved: its patch no longer comes out as the approved diff' });
      else out.push({ approval, fix, patch });
    } catch (err) {
      out.push({ approval, stale: `its patch cannot be made on the files as they are now: ${(err as Error).message}` });
    }
  }
  return out;
}

/** What became of an approved fix: applied, or stale with why. */
export async function settleApproval(workspace: string, approval: Approval, outcome: { applied: boolean; detail: string; recordId?: string; checkpointId?: string }): Promise<Approval> {
  const { applied, ...rest } = outcome;
  return save(workspace, { ...approval, status: applied ? 'applied' : 'stale', outcome: { at: Date.now(), ...rest } });
}

/** Approvals by status (`approval_requests_total{status}`), over those opened by one loop. */
export function approvalCounts(approvals: readonly Approval[], loopId: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of approvals) if (a.loopId === loopId) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}
