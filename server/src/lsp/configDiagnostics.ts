import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { LocatedError } from '../engine/model';
import { DIAGNOSTIC_SOURCE } from '../protocol';
import { nonBlankRange } from './sourceText';

/** Code of every config diagnostic. */
export const CONFIG_DIAGNOSTIC_CODE = 'config';

/**
 * Config problems as diagnostics on the config file's lines. A problem with a column starts there;
 * otherwise it covers the line's non-blank text. `lineText` gives a 0-based line of that file.
 * Errors by default; warnings (a credential written into the file) with `severity`.
 */
export function configErrorsToDiagnostics(
  errors: readonly Pick<LocatedError, 'message' | 'line' | 'column' | 'remedy'>[],
  lineText: (line: number) => string | undefined,
  severity: DiagnosticSeverity = DiagnosticSeverity.Error,
): Diagnostic[] {
  return errors.map((e) => {
    const line = Math.max(0, (Number.isFinite(e.line) ? e.line : 1) - 1);
    const range = nonBlankRange(lineText(line), line);
    const col = (e.column ?? 1) - 1;
    if (col > range.start.character && col < range.end.character) range.start.character = col;
    return {
      range,
      severity,
      source: DIAGNOSTIC_SOURCE,
      code: CONFIG_DIAGNOSTIC_CODE,
      message: e.remedy ? `${e.message}\n${e.remedy}` : e.message,
    };
  });
}
