import { listLoopRecords, passesOutsideLoops, type LoopRecord } from '../engine/loop';
import { listRecords } from '../engine/records';
import type { RepairRecord } from '../engine/repair';
import type { HistoryFix, HistoryRequest, HistoryRun } from '../protocol';

/**
 * The Repair History of a workspace as the sidebar shows it: each loop with its iterations and the
 * repair records of each, and each pass run on its own (`repair --once`, Repair Failures) as a run
 * of one iteration. Newest first, a page at a time. Records that cannot be read are named, never
 * fatal.
 */

function fixOf(r: RepairRecord): HistoryFix {
  const label = r.patchPolicy?.label ?? r.planPolicy?.label;
  return {
    recordId: r.id,
    title: r.plan?.root_cause ? `${r.violation.scenario}: ${r.plan.root_cause}` : `${r.violation.scenario}: ${r.violation.message}`,
    ...(r.planner ? { planner: r.planner } : {}),
    ...(label ? { label } : {}),
    ...(r.validation ? { validation: r.validation.status } : {}),
    applied: r.applied,
    reason: r.reason,
    passRateBefore: r.passRateBefore,
    ...(r.passRateAfter !== undefined ? { passRateAfter: r.passRateAfter } : {}),
    hasDiff: Boolean(r.diff),
  };
}

function loopRun(loop: LoopRecord, byId: Map<string, RepairRecord>): HistoryRun {
  return {
    id: loop.id,
    kind: 'loop',
    startedAt: loop.startedAt,
    passRateBefore: loop.passRateStart ?? loop.iterations[0]?.passRateBefore ?? 0,
    ...(loop.passRateEnd !== undefined ? { passRateAfter: loop.passRateEnd } : {}),
    ...(loop.stopReason ? { stopReason: loop.stopReason } : {}),
    ...(loop.stopDetail ? { stopDetail: loop.stopDetail } : {}),
    target: loop.target,
    ...(loop.escalation?.length ? { escalation: loop.escalation } : {}),
    ...(loop.pending?.length ? { pending: loop.pending.map((p) => ({ scenario: p.scenario, title: p.title, ...(p.approvalId ? { approvalId: p.approvalId } : {}) })) } : {}),
    iterations: loop.iterations.map((it) => ({
      n: it.n,
      passRateBefore: it.passRateBefore,
      passRateAfter: it.passRateAfter,
      fixesByType: it.fixesByType,
      ...(it.rolledBack ? { rolledBack: it.rolledBack.regressed } : {}),
      fixes: it.records.flatMap((id) => {
        const r = byId.get(id);
        return r ? [fixOf(r)] : [];
      }),
    })),
  };
}

export async function readHistory(workspace: string, params: Pick<HistoryRequest.Params, 'cursor' | 'limit'>): Promise<Omit<HistoryRequest.Result, 'folderUri'>> {
  const [{ loops, problems: loopProblems }, { records, problems }] = await Promise.all([listLoopRecords(workspace), listRecords(workspace)]);
  const byId = new Map(records.map((r) => [r.id, r]));
  const passes = passesOutsideLoops(loops, records);
  const runs: HistoryRun[] = [
    ...loops.map((l) => loopRun(l, byId)),
    ...[...passes].map(([id, rs]) => {
      const applied = rs.filter((r) => r.applied);
      const fixesByType: Record<string, number> = {};
      for (const r of applied) for (const op of r.plan?.operations ?? []) fixesByType[op.type] = (fixesByType[op.type] ?? 0) + 1;
      const after = rs.find((r) => r.passRateAfter !== undefined)?.passRateAfter;
      return {
        id,
        kind: 'pass' as const,
        startedAt: rs[0]!.createdAt,
        passRateBefore: rs[0]!.passRateBefore,
        ...(after !== undefined ? { passRateAfter: after } : {}),
        iterations: [{ n: 1, passRateBefore: rs[0]!.passRateBefore, passRateAfter: after ?? rs[0]!.passRateBefore, fixesByType, fixes: rs.map(fixOf) }],
      };
    }),
  ].sort((a, b) => b.startedAt - a.startedAt);
  const cursor = params.cursor ?? 0;
  const limit = params.limit ?? 20;
  const page = runs.slice(cursor, cursor + limit);
  return {
    runs: page,
    total: runs.length,
    ...(cursor + limit < runs.length ? { nextCursor: cursor + limit } : {}),
    problems: [...loopProblems, ...problems].map((p) => `${p.file}: ${p.error}`),
  };
}

/** The diff a record kept, or undefined. */
export async function recordDiff(workspace: string, recordId: string): Promise<string | undefined> {
  const { records } = await listRecords(workspace);
  return records.find((r) => r.id === recordId)?.diff;
}
