import { readFileSync } from 'node:fs';
import type { Range } from 'vscode-languageserver';

/** The range covering a line's non-blank text; an empty range at the line start when the line is blank or unknown. */
export function nonBlankRange(lineText: string | undefined, line: number): Range {
  if (lineText === undefined) return { start: { line, character: 0 }, end: { line, character: 0 } };
  const start = lineText.search(/\S/);
  if (start < 0) return { start: { line, character: 0 }, end: { line, character: 0 } };
  const end = lineText.replace(/\s+$/, '').length;
  return { start: { line, character: start }, end: { line, character: end } };
}

/** Gives the text of a line (0-based) of a file by absolute path; undefined when the file or line does not exist. */
export type LineSource = (absolutePath: string, line: number) => string | undefined;

/**
 * Reads files from disk at most once; open editor buffers (given by `overlay`) take precedence,
 * so ranges match what the person sees.
 */
export function cachedLineSource(overlay?: (absolutePath: string) => string | undefined): LineSource {
  const cache = new Map<string, string[] | null>();
  return (absolutePath, line) => {
    let lines = cache.get(absolutePath);
    if (lines === undefined) {
      let text = overlay?.(absolutePath);
      if (text === undefined) {
        try {
          text = readFileSync(absolutePath, 'utf8');
        } catch {
          text = undefined;
        }
      }
      lines = text === undefined ? null : text.split(/\r?\n/);
      cache.set(absolutePath, lines);
    }
    return lines?.[line];
  };
}
