import type { Diagnostic } from 'vscode-languageserver';
import type { SmokeReport, Violation } from '../engine/model';
import type { RunFinishedNotification, WireFrame, WireScenario } from '../protocol';
import { absoluteIn, fileUri, violationToDiagnostic, type PlacementContext } from './violationDiagnostic';

export interface FolderResults {
  /** Diagnostics per document URI for this folder's run. */
  diagnostics: Map<string, Diagnostic[]>;
  /** What the client shows in Test Explorer and the status bar. */
  finished: Extract<RunFinishedNotification.Params, { ok: true }>;
}

/** Turns one folder's report into diagnostics and the per-scenario results sent to the client. */
export function buildFolderResults(report: SmokeReport, ctx: PlacementContext): FolderResults {
  const diagnostics = new Map<string, Diagnostic[]>();
  const placed = new Map<string, { uri: string; diagnostic: Diagnostic }>();
  for (const v of report.violations) {
    const p = violationToDiagnostic(v, ctx);
    placed.set(v.id, p);
    const list = diagnostics.get(p.uri) ?? [];
    list.push(p.diagnostic);
    diagnostics.set(p.uri, list);
  }
  const byScenario = new Map<string, Violation>();
  for (const v of report.violations) if (!byScenario.has(v.scenarioId)) byScenario.set(v.scenarioId, v);

  const scenarios: WireScenario[] = report.scenarios.map((s) => {
    const v = byScenario.get(s.scenarioId);
    const p = v ? placed.get(v.id) : undefined;
    const frames: WireFrame[] = (v?.trace?.frames ?? []).map((f) => ({
      function: f.function,
      file: f.file,
      line: Math.max(0, f.line - 1),
      uri: f.inWorkspace ? fileUri(absoluteIn(ctx.folderPath, f.file)) : undefined,
    }));
    return {
      id: s.scenarioId,
      name: s.name,
      method: s.method,
      path: s.path,
      ok: s.ok,
      status: s.status,
      expectedStatus: s.expectedStatus,
      durationMs: s.durationMs,
      message: s.ok ? undefined : (v?.message ?? (s.failures.join('; ') || `${s.method} ${s.path} → ${s.status} (expected ${s.expectedStatus})`)),
      violationId: v?.id,
      location: p ? { uri: p.uri, line: p.diagnostic.range.start.line, character: p.diagnostic.range.start.character } : undefined,
      reportUri: p?.diagnostic.codeDescription?.href,
      frames,
    };
  });

  return {
    diagnostics,
    finished: {
      ok: true,
      folderUri: ctx.folderUri,
      passRate: report.passRate,
      passed: report.passed,
      total: report.total,
      durationMs: report.durationMs,
      scenarios,
    },
  };
}
