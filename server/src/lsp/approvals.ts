import { findApproval, listApprovals, type Approval } from '../engine/approvals';
import type { ApprovalItem, ApprovalsRequest } from '../protocol';

/**
 * The Pending Approvals view's side of the server: approvals as the view shows them (what waits,
 * why, its danger score and validation, a decision and what became of it) and the diff of one.
 */

export function approvalItem(a: Approval): ApprovalItem {
  return {
    id: a.id,
    status: a.status,
    why: a.why,
    reason: a.reason,
    title: a.plan.root_cause,
    scenario: a.violation.scenario,
    message: a.violation.message,
    planner: a.planner,
    dangerScore: a.dangerScore,
    label: a.label,
    validation: a.validation.status,
    createdAt: a.createdAt,
    ...(a.decision ? { decision: a.decision } : {}),
    ...(a.outcome ? { outcome: a.outcome.detail } : a.supersededBy ? { outcome: `superseded by ${a.supersededBy}` } : {}),
  };
}

/** What waits for a person (pending, or approved and not applied yet), or every approval. */
export async function readApprovals(workspace: string, all: boolean): Promise<Omit<ApprovalsRequest.Result, 'folderUri'>> {
  const { approvals, problems } = await listApprovals(workspace);
  const shown = all ? approvals : approvals.filter((a) => a.status === 'pending' || a.status === 'approved');
  return { approvals: shown.map(approvalItem), problems: problems.map((p) => `${p.file}: ${p.error}`) };
}

/** The diff an approval asks about. Throws ApprovalError for an unknown id. */
export async function approvalDiff(workspace: string, id: string): Promise<string> {
  return (await findApproval(workspace, id)).diff;
}
