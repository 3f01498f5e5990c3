import { lineStart, nextLineStart, rewriteList, type TextEdit } from './edits';

/**
 * Removing Python import names with ruff's F401 safe fix, byte for byte, including where ruff gets
 * there in several passes.
 *
 * ruff makes one fix per import statement: the statement's unused names go from its list, or, when
 * all go, the statement goes (`pass` instead when it is the last statement of a block, so the block
 * still parses). It applies the fixes in passes, in source order, each computed on the text as the
 * previous pass left it: a fix that touches or overlaps one already applied waits for the next
 * pass, and so does a second fix inside the same compound statement (a def, an if with its
 * elif/else, a try with its handlers, a match...). So of three imports emptying a block, the first
 * two lines go and the third becomes `pass`; and the edit of a statement sharing a line with another
 * depends on whether that other one is already gone. ruff lints again between passes, so an import
 * whose name is bound again later is fixed only in the pass after the later binding went. This
 * module replays those passes.
 */

/** One import statement to edit, as the analysis located it in the original text. */
export interface RemovalTarget {
  start: number;
  end: number;
  names: ReadonlyArray<{ start: number; end: number }>;
  /**
   * The names to remove (indexes into `names`), each with the removals it waits for, as
   * `[target, name]` index pairs: a rebound import becomes unused, for ruff, only once the later
   * bindings of its name are gone, so ruff removes it in a later pass.
   */
  gone: ReadonlyMap<number, ReadonlyArray<readonly [number, number]>>;
  /** The statement list holding it, and how many statements that list holds. */
  body: number;
  bodySize: number;
  /** The compound statement owning the list; null at module level (which never needs `pass`). */
  group: number | null;
}

/** ruff's (and Python's) white space inside a line. */
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\f';

function lineEnd(text: string, offset: number): number {
  let i = offset;
  while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
  return i;
}

function skipSpaces(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && isSpace(text[i])) i++;
  return i;
}

/** The `;` after a statement ending at `end`, possibly past backslash continuations. */
function trailingSemicolon(text: string, end: number): number | undefined {
  let i = end;
  for (;;) {
    const stop = lineEnd(text, i);
    const first = skipSpaces(text, i, stop);
    if (text[first] === ';' && first < stop) return first;
    if (text[first] !== '\\' || first >= stop) return undefined;
    const next = nextLineStart(text, stop);
    if (next === stop) return undefined;
    i = next;
  }
}

/** Where the statement after a `;` starts (or the end of the line, when nothing follows it). */
function nextStatementBreak(text: string, semicolon: number): number {
  let i = semicolon + 1;
  for (;;) {
    const stop = lineEnd(text, i);
    const first = skipSpaces(text, i, stop);
    if (first < stop && text[first] === '\\') {
      const next = nextLineStart(text, stop);
      if (next === stop) return stop;
      i = next;
      continue;
    }
    return first === stop ? i : first;
  }
}

function hasLeadingContent(text: string, offset: number): boolean {
  const ls = lineStart(text, offset);
  return skipSpaces(text, ls, offset) < offset;
}

/** Whether the line holding `offset` ends with a backslash continuation: its offset if so. */
function continuationAt(text: string, lineStartOffset: number): number | undefined {
  if (lineStartOffset === 0) return undefined;
  let nl = lineStartOffset - 1;
  if (text[nl] === '\n' && text[nl - 1] === '\r') nl--;
  const backslash = nl - 1;
  if (text[backslash] !== '\\') return undefined;
  // A backslash ending a comment continues nothing.
  const line = text.slice(lineStart(text, backslash), backslash);
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return undefined;
  }
  return backslash;
}

/** A statement alone on its line after backslash continuations: the first continuation's backslash. */
function precededByContinuations(text: string, offset: number): number | undefined {
  const ls = lineStart(text, offset);
  if (skipSpaces(text, ls, offset) < offset) return undefined;
  let cont = continuationAt(text, ls);
  if (cont === undefined) return undefined;
  for (;;) {
    const prev = lineStart(text, cont);
    if (skipSpaces(text, prev, cont) < cont) break;
    const earlier = continuationAt(text, prev);
    if (earlier === undefined) break;
    cont = earlier;
  }
  return cont;
}

/** ruff's deletion of a whole statement, in the order ruff tries the cases. */
function deleteStatement(text: string, start: number, end: number, lastInBlock: boolean): TextEdit {
  if (lastInBlock) return { start, end, text: 'pass' };
  const semicolon = trailingSemicolon(text, end);
  if (semicolon !== undefined) return { start, end: nextStatementBreak(text, semicolon), text: '' };
  if (hasLeadingContent(text, start)) return { start, end, text: '' };
  const cont = precededByContinuations(text, start);
  if (cont !== undefined) return { start: cont, end, text: '' };
  return { start: lineStart(text, start), end: nextLineStart(text, end), text: '' };
}

/** A statement as the passes go: where it is now, its names still there, what is left to remove. */
interface Live {
  index: number;
  target: RemovalTarget;
  start: number;
  end: number;
  /** Current spans of the names still in the statement, by index into `target.names`. */
  names: Map<number, { start: number; end: number }>;
  todo: Set<number>;
}

/** The statement with the `going` names gone, as one edit over the whole statement. */
function removeFromList(text: string, s: Live, going: ReadonlySet<number>): { edit: TextEdit; spans: Map<number, { start: number; end: number }> } {
  const order = [...s.names.keys()].sort((a, b) => a - b);
  const items = order.map((i) => s.names.get(i)!);
  const listEnd = text[s.end - 1] === ')' ? s.end - 1 : s.end;
  // A comment on the comma's own line stays with its name; ruff (libcst) looks no further.
  const list = rewriteList(text, items, listEnd, order.map((i) => !going.has(i)), (between) => /^[^\r\n]*#/.test(between));
  const head = text.slice(s.start, list.start);
  const spans = new Map<number, { start: number; end: number }>();
  order.filter((i) => !going.has(i)).forEach((i, k) => spans.set(i, { start: s.start + head.length + list.kept[k].start, end: s.start + head.length + list.kept[k].end }));
  return { edit: { start: s.start, end: s.end, text: head + list.text + text.slice(list.end, s.end) }, spans };
}

/** ruff stops after this many passes; a removal never needs more than one per statement and name. */
const MAX_PASSES = 100;

/** Applies the removals to `source` the way ruff's fix loop does. */
export function removeAsRuff(source: string, targets: readonly RemovalTarget[]): string {
  let text = source;
  const left = new Map<number, number>();
  for (const t of targets) left.set(t.body, t.bodySize);
  const live: Live[] = targets.map((t, index) => ({
    index,
    target: t,
    start: t.start,
    end: t.end,
    names: new Map(t.names.map((n, i) => [i, { start: n.start, end: n.end }])),
    todo: new Set(t.gone.keys()),
  }));
  const removed = new Set<string>();
  const key = (t: number, n: number) => `${t}:${n}`;
  for (let pass = 0; live.some((s) => s.todo.size > 0); pass++) {
    if (pass === MAX_PASSES) throw new Error('import removal did not settle');
    // What ruff would report now: the names to remove whose later bindings are already gone.
    const fixes = live
      .filter((s) => s.todo.size > 0)
      .map((s) => {
        const going = new Set([...s.todo].filter((i) => (s.target.gone.get(i) ?? []).every(([t, n]) => removed.has(key(t, n)))));
        if (!going.size) return undefined;
        const whole = going.size === s.names.size;
        if (whole) return { s, going, whole, edit: deleteStatement(text, s.start, s.end, s.target.group !== null && left.get(s.target.body) === 1) };
        const { edit, spans } = removeFromList(text, s, going);
        return { s, going, whole, edit, spans };
      })
      .filter((f) => f !== undefined)
      .sort((a, b) => a.edit.start - b.edit.start);
    if (!fixes.length) throw new Error('import removals wait on each other');
    // One fix per compound statement per pass; none touching the previous one.
    const groups = new Set<number>();
    let last = -1;
    const applied: typeof fixes = [];
    for (const f of fixes) {
      const group = f.s.target.group;
      if (group !== null) {
        if (groups.has(group)) continue;
        groups.add(group);
      }
      if (last >= f.edit.start) continue;
      applied.push(f);
      last = f.edit.end;
    }
    for (const f of [...applied].reverse()) text = text.slice(0, f.edit.start) + f.edit.text + text.slice(f.edit.end);
    // Everything after an applied edit moves by what it added or took away.
    const moved = (at: number) => applied.reduce((m, f) => (f.edit.end <= at ? m + f.edit.text.length - (f.edit.end - f.edit.start) : m), at);
    const touched = new Set(applied.map((f) => f.s));
    for (const s of live) {
      if (touched.has(s) || s.todo.size === 0) continue;
      if (applied.some((f) => f.edit.start < s.end && s.start < f.edit.end)) throw new Error('overlapping edits');
      s.start = moved(s.start);
      s.end = moved(s.end);
      for (const [i, span] of s.names) s.names.set(i, { start: moved(span.start), end: moved(span.end) });
    }
    for (const f of applied) {
      for (const i of f.going) {
        removed.add(key(f.s.index, i));
        f.s.todo.delete(i);
      }
      if (f.whole) {
        f.s.names.clear();
        if (f.edit.text === '') left.set(f.s.target.body, (left.get(f.s.target.body) ?? 1) - 1);
        continue;
      }
      // The statement stays, shorter: its start moves like the others, its names as rewritten.
      const start = moved(f.s.start);
      const delta = start - f.s.start;
      f.s.end = start + f.edit.text.length;
      f.s.names = new Map([...f.spans!].map(([i, span]) => [i, { start: span.start + delta, end: span.end + delta }]));
      f.s.start = start;
    }
  }
  return text;
}
