/**
 * Text edits shared by the Python and JavaScript import editors: offsets into the original text,
 * applied back to front so earlier offsets stay valid. Only the bytes named change.
 */

export interface Span {
  start: number;
  end: number;
}

export interface TextEdit extends Span {
  text: string;
}

/** Applies non-overlapping edits; throws when two overlap. */
export function applyEdits(source: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = source;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.end > limit) throw new Error('overlapping edits');
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    limit = e.start;
  }
  return out;
}

/** The file's line ending: the first one found, `\n` when there is none. */
export function lineEnding(source: string): string {
  const m = /\r\n|\r|\n/.exec(source);
  return m ? m[0] : '\n';
}

export function lineStart(source: string, offset: number): number {
  let i = offset;
  while (i > 0 && source[i - 1] !== '\n' && source[i - 1] !== '\r') i--;
  return i;
}

/** The offset just past the line terminator of the line holding `offset` (or the end of the text). */
export function nextLineStart(source: string, offset: number): number {
  let i = offset;
  while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++;
  if (source[i] === '\r' && source[i + 1] === '\n') return i + 2;
  return i < source.length ? i + 1 : i;
}

/** 1-based line of an offset. */
export function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < source.length; i++) {
    const c = source[i];
    if (c === '\n' || (c === '\r' && source[i + 1] !== '\n')) line++;
  }
  return line;
}

/**
 * Rewrites a comma-separated list of items keeping only `keep[i]` ones, the way a concrete syntax
 * tree would: each item owns the comma after it and the white space (comments included) up to the
 * next item; the last item's comma, when it has one, runs up to `listEnd` (the closing bracket or
 * the end of the statement). When the last item goes, the new last item takes over its comma (a
 * trailing comma stays a trailing comma, none stays none) unless its own comma holds a comment.
 * Returns the edit for `[items[0].start, listEnd)`, with where each kept item lands in its text.
 */
export function rewriteList(
  source: string,
  items: Span[],
  listEnd: number,
  keep: boolean[],
  hasComment: (between: string) => boolean,
): TextEdit & { kept: Span[] } {
  const n = items.length;
  const commas: Array<string | null> = items.map((it, i) => (i < n - 1 ? source.slice(it.end, items[i + 1].start) : null));
  const tail = source.slice(items[n - 1].end, listEnd);
  let suffix = tail;
  if (tail.includes(',')) {
    commas[n - 1] = tail;
    suffix = '';
  }
  const kept = items.map((_, i) => i).filter((i) => keep[i]);
  let text = '';
  const spans: Span[] = [];
  kept.forEach((i, k) => {
    let comma = commas[i];
    if (k === kept.length - 1 && !keep[n - 1] && !(comma !== null && hasComment(comma))) comma = commas[n - 1];
    spans.push({ start: text.length, end: text.length + items[i].end - items[i].start });
    text += source.slice(items[i].start, items[i].end) + (comma ?? '');
  });
  return { start: items[0].start, end: listEnd, text: text + suffix, kept: spans };
}

/** A request that cannot be carried out on this text, with the 1-based line it concerns. */
export class ImportEditError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'ImportEditError';
  }
}

/** An import statement as the removers see it: where it stands and the names it binds. */
export interface BindingStatement {
  line: number;
  endLine: number;
  names: ReadonlyArray<{ bound: string; used: boolean }>;
}

/**
 * Which names of which statements to remove: every statement binding one of `names` (only those
 * spanning `line`, when given). Throws ImportEditError for a name no statement binds there, one that
 * is used, or one `leftAlone` gives a reason for. With a line, a name bound more than once there
 * (`import a; import a`, `from m import a, b as a`) means the bindings that can go: the others are
 * refused only when none can.
 */
export function selectRemovals<S extends BindingStatement>(
  statements: readonly S[],
  names: readonly string[],
  line: number | undefined,
  leftAlone: (name: S['names'][number]) => string | undefined,
  usedMessage: string,
): Map<S, Set<number>> {
  const candidates = statements.filter((s) => line === undefined || (s.line <= line && line <= s.endLine));
  const remove = new Map<S, Set<number>>();
  for (const name of [...new Set(names)]) {
    const bindings: Array<{ s: S; i: number; refusal?: ImportEditError }> = [];
    for (const s of candidates) {
      s.names.forEach((n, i) => {
        if (n.bound !== name) return;
        const why = leftAlone(n);
        const refusal = why ? new ImportEditError(`"${name}" is left alone (${why})`, s.line) : n.used ? new ImportEditError(`"${name}" ${usedMessage}`, s.line) : undefined;
        bindings.push({ s, i, refusal });
      });
    }
    if (!bindings.length) throw new ImportEditError(`no import binds "${name}"${line !== undefined ? ` on line ${line}` : ''}`, line);
    const removable = bindings.filter((b) => !b.refusal);
    const refused = bindings.find((b) => b.refusal);
    if (refused && (line === undefined || !removable.length)) throw refused.refusal;
    for (const { s, i } of removable) {
      if (!remove.has(s)) remove.set(s, new Set());
      remove.get(s)!.add(i);
    }
  }
  return remove;
}
