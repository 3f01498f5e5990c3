/**
 * Line-level view of a manifest's text, for edits that keep every other byte: line endings,
 * the final newline (or its absence), indentation.
 */

export interface TextLine {
  /** The line without its ending. */
  text: string;
  /** Offset of the line's first character in the whole text. */
  start: number;
  /** `\n`, `\r\n`, or '' for a last line without one. */
  eol: string;
}

export function splitLines(text: string): TextLine[] {
  const lines: TextLine[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      lines.push({ text: text.slice(start), start, eol: '' });
      break;
    }
    const cr = nl > start && text[nl - 1] === '\r';
    lines.push({ text: text.slice(start, cr ? nl - 1 : nl), start, eol: cr ? '\r\n' : '\n' });
    start = nl + 1;
  }
  return lines;
}

/** The file's line ending: the first one it uses, `\n` when it has none. */
export function detectEol(text: string): string {
  const nl = text.indexOf('\n');
  return nl > 0 && text[nl - 1] === '\r' ? '\r\n' : '\n';
}

/** 1-based line number of an offset. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Leading spaces and tabs of a line. */
export function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

/** A manifest edit that cannot be made on this text, with the 1-based line it is about when known. */
export class ManifestEditError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'ManifestEditError';
  }
}
