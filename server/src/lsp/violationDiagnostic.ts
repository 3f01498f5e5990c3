import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver';
import type { Frame, SourceLocation, Violation } from '../engine/model';
import { DIAGNOSTIC_SOURCE, reportUri } from '../protocol';
import { nonBlankRange, type LineSource } from './sourceText';

/** What a diagnostic needs to know about where it is published. */
export interface PlacementContext {
  /** Absolute path of the workspace folder. */
  folderPath: string;
  /** The folder's URI as the client knows it (used in report URIs). */
  folderUri: string;
  /** Absolute path of the config file (fallback place for violations with no location). */
  configPath: string;
  lines: LineSource;
}

export interface PlacedDiagnostic {
  uri: string;
  diagnostic: Diagnostic;
}

/** `data` of every violation diagnostic. */
export interface ViolationDiagnosticData {
  violationId: string;
  /** The workspace folder whose run found it (code actions look its fix up by both). */
  folderUri: string;
}

export function fileUri(absolutePath: string): string {
  return pathToFileURL(absolutePath).href;
}

/** Absolute path of an engine location: workspace-relative paths are joined to the folder. */
export function absoluteIn(folderPath: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(folderPath, file);
}

/** `at add_item (app/routers/carts.py:42)` */
export function frameLabel(frame: Pick<Frame, 'function' | 'file' | 'line'>): string {
  return `at ${frame.function} (${frame.file}:${frame.line})`;
}

/**
 * One diagnostic for one violation.
 *
 * - Placed on `violation.location` (1-based line in the engine, 0-based here), covering the line's
 *   non-blank text; with no location, on the first line of the config file.
 * - `code` is the exception class when there is a trace, else the failure type; its `href` is the
 *   violation's `smoke-repair-report:` URI, which the client renders read-only.
 * - `relatedInformation`: one entry per frame of the trace that lies in the workspace, most recent
 *   call last. Frames outside the workspace (libraries, the runtime) are not linked, since they
 *   are not files the person can open; one closing entry says how many were left out and that the
 *   report lists them all.
 */
export function violationToDiagnostic(v: Violation, ctx: PlacementContext): PlacedDiagnostic {
  const where = placeOf(v.location, ctx);
  const related: DiagnosticRelatedInformation[] = [];
  const frames = v.trace?.frames ?? [];
  let outside = 0;
  for (const frame of frames) {
    if (!frame.inWorkspace) {
      outside++;
      continue;
    }
    const abs = absoluteIn(ctx.folderPath, frame.file);
    const line = Math.max(0, frame.line - 1);
    related.push({
      location: { uri: fileUri(abs), range: nonBlankRange(ctx.lines(abs, line), line) },
      message: frameLabel(frame),
    });
  }
  if (outside > 0) {
    related.push({
      location: { uri: where.uri, range: where.range },
      message: `${outside} frame${outside === 1 ? '' : 's'} outside the workspace: see the full report`,
    });
  }
  const data: ViolationDiagnosticData = { violationId: v.id, folderUri: ctx.folderUri };
  const diagnostic: Diagnostic = {
    range: where.range,
    severity: DiagnosticSeverity.Error,
    source: DIAGNOSTIC_SOURCE,
    code: v.trace?.exceptionClass || v.failureType,
    codeDescription: { href: reportUri(ctx.folderUri, v.id) },
    message: v.message,
    data,
  };
  if (related.length > 0) diagnostic.relatedInformation = related;
  return { uri: where.uri, diagnostic };
}

function placeOf(location: SourceLocation | undefined, ctx: PlacementContext) {
  if (!location) {
    return { uri: fileUri(ctx.configPath), range: nonBlankRange(ctx.lines(ctx.configPath, 0), 0) };
  }
  const abs = absoluteIn(ctx.folderPath, location.file);
  const line = Math.max(0, location.line - 1);
  return { uri: fileUri(abs), range: nonBlankRange(ctx.lines(abs, line), line) };
}
