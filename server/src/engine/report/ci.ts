import * as path from 'node:path';
import type { z } from 'zod';
import { listLoopRecords, type LoopRecord } from '../loop';
import type { SmokeReport } from '../model';
import { listRecords, runOfRecord, type RecordProblem, type repairRecordSchema } from '../records';
import { junitReport } from './junit';
import { markdownReport, type SourceLink } from './markdown';
import { prometheusReport } from './prometheus';
import { sarifReport, type ToolInfo } from './sarif';

/**
 * Reports for CI (`smoke-repair report --format ...`): a smoke run's failures, with the latest
 * repair loop and the repair records that say what was fixed, as JSON, SARIF 2.1.0 (code
 * scanning), JUnit XML (test dashboards) or Markdown (a job's summary page). Everything here was
 * redacted where it entered the engine; the reports add nothing that was not.
 */

export const REPORT_FORMATS = ['json', 'sarif', 'junit', 'markdown', 'prometheus'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export type StoredRepairRecord = z.infer<typeof repairRecordSchema>;

export interface CiReport {
  smoke: SmokeReport;
  /** The latest repair loop recorded in the workspace, when there is one. */
  loop?: LoopRecord;
  /** The repair records of that loop, and of the latest repair run when it came after it; oldest first. */
  records: StoredRepairRecord[];
  /** Record files that could not be read (never fatal). */
  problems: RecordProblem[];
}

export interface RenderOptions {
  tool: ToolInfo;
  /** Markdown: a URL for a workspace file's line (a code host's page); plain `path:line` without. */
  link?: SourceLink;
}

/**
 * The latest loop and the records that go with it: the loop's own, and those of the latest run
 * (a `repair --once` after the loop; without a loop, the latest run).
 */
export function latestRepairs(loops: readonly LoopRecord[], records: readonly StoredRepairRecord[]): { loop?: LoopRecord; records: StoredRepairRecord[] } {
  const loop = loops.at(-1);
  const inLoop = new Set(loop?.iterations.flatMap((it) => it.records) ?? []);
  const newest = records.at(-1);
  const lastRun = newest && (!loop || newest.createdAt >= loop.startedAt) ? runOfRecord(newest.id) : undefined;
  return {
    ...(loop ? { loop } : {}),
    records: records.filter((r) => inLoop.has(r.id) || (lastRun !== undefined && runOfRecord(r.id) === lastRun)),
  };
}

/** The smoke run with what `.smoke-repair/` says about the latest repairs. */
export async function gatherCiReport(workspace: string, smoke: SmokeReport): Promise<CiReport> {
  const root = path.resolve(workspace);
  const { loops, problems: loopProblems } = await listLoopRecords(root);
  const { records, problems } = await listRecords(root);
  return { smoke, ...latestRepairs(loops, records), problems: [...loopProblems, ...problems] };
}

/** The JSON report: everything, versioned. */
export function jsonReport(report: CiReport): string {
  const { smoke, loop, records, problems } = report;
  return JSON.stringify({ version: 1, smoke, ...(loop ? { loop } : {}), records, ...(problems.length ? { problems } : {}) }, null, 2) + '\n';
}

export function renderCiReport(format: ReportFormat, report: CiReport, options: RenderOptions): string {
  switch (format) {
    case 'json':
      return jsonReport(report);
    case 'sarif':
      return JSON.stringify(sarifReport(report, options.tool), null, 2) + '\n';
    case 'junit':
      return junitReport(report);
    case 'markdown':
      return markdownReport(report, { link: options.link });
    case 'prometheus':
      return prometheusReport(report);
  }
}
