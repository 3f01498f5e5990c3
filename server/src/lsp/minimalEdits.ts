import { diffLines } from 'diff';
import type { Position, Range, TextEdit } from 'vscode-languageserver';
import { lineOfOffset } from '../engine/routes/syntax';

/**
 * The smallest text edits that turn `original` into `patched`: a line diff finds the changed runs,
 * and each run is trimmed to the characters that really differ. Positions are LSP positions
 * (0-based lines; characters in UTF-16 code units; `\r\n`, `\n` and `\r` end a line). No edit ever
 * splits a `\r\n` pair or a surrogate pair. Applying the edits (in any order: they never overlap)
 * to `original` gives `patched` exactly.
 */
export function minimalTextEdits(original: string, patched: string): TextEdit[] {
  if (original === patched) return [];
  const index = new LineIndex(original);
  const edits: TextEdit[] = [];
  // The common head and tail (on line boundaries) are left out of the line diff, so one change
  // between them is one edit however the diff would align repeated lines.
  const [head, tail] = commonLines(original, patched);
  let oldAt = head;
  let pendingOld: [number, number] | undefined;
  let pendingNew = '';
  const flush = () => {
    if (!pendingOld) return;
    const [start, end] = pendingOld;
    const edit = trimmedEdit(original, start, end, pendingNew);
    if (edit) edits.push({ range: { start: index.positionAt(edit.start), end: index.positionAt(edit.end) }, newText: edit.text });
    pendingOld = undefined;
    pendingNew = '';
  };
  for (const change of diffLines(original.slice(head, original.length - tail), patched.slice(head, patched.length - tail))) {
    if (change.added) {
      pendingOld ??= [oldAt, oldAt];
      pendingNew += change.value;
    } else if (change.removed) {
      pendingOld = pendingOld ? [pendingOld[0], oldAt + change.value.length] : [oldAt, oldAt + change.value.length];
      oldAt += change.value.length;
    } else {
      flush();
      oldAt += change.value.length;
    }
  }
  flush();
  return edits;
}

/** Lengths of the common prefix and suffix of two texts, each made of whole lines, never overlapping. */
function commonLines(a: string, b: string): [number, number] {
  const max = Math.min(a.length, b.length);
  let pre = 0;
  while (pre < max && a.charCodeAt(pre) === b.charCodeAt(pre)) pre++;
  while (pre > 0 && !(isLineEnd(a, pre - 1) && lineStartAt(a, pre) && lineStartAt(b, pre))) pre--;
  let suf = 0;
  const maxSuf = max - pre;
  while (suf < maxSuf && a.charCodeAt(a.length - 1 - suf) === b.charCodeAt(b.length - 1 - suf)) suf++;
  // The tail starts at a line start in both texts.
  while (suf > 0 && !(lineStartAt(a, a.length - suf) && lineStartAt(b, b.length - suf))) suf--;
  return [pre, suf];
}

function isLineEnd(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c === 10 || c === 13;
}

function lineStartAt(s: string, i: number): boolean {
  if (i === 0) return true;
  const prev = s.charCodeAt(i - 1);
  return prev === 10 || (prev === 13 && s.charCodeAt(i) !== 10);
}

/** Narrows "replace original[start, end) by text" to the part that differs, on safe boundaries. */
function trimmedEdit(original: string, start: number, end: number, text: string): { start: number; end: number; text: string } | undefined {
  const old = original.slice(start, end);
  if (old === text) return undefined;
  let pre = 0;
  const maxPre = Math.min(old.length, text.length);
  while (pre < maxPre && old.charCodeAt(pre) === text.charCodeAt(pre)) pre++;
  let suf = 0;
  const maxSuf = Math.min(old.length, text.length) - pre;
  while (suf < maxSuf && old.charCodeAt(old.length - 1 - suf) === text.charCodeAt(text.length - 1 - suf)) suf++;
  // Never cut between the halves of a \r\n or a surrogate pair, on either side.
  while (pre > 0 && (splitsPair(old, pre) || splitsPair(text, pre))) pre--;
  while (suf > 0 && (splitsPair(old, old.length - suf) || splitsPair(text, text.length - suf))) suf--;
  return { start: start + pre, end: end - suf, text: text.slice(pre, text.length - suf) };
}

function splitsPair(s: string, at: number): boolean {
  if (at <= 0 || at >= s.length) return false;
  const before = s.charCodeAt(at - 1);
  const after = s.charCodeAt(at);
  if (before === 13 && after === 10) return true;
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}

/** Offsets to LSP positions for one text. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      } else if (c === 10) {
        this.starts.push(i + 1);
      }
    }
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    const line = lineOfOffset(this.starts, o);
    return { line, character: o - this.starts[line]! };
  }

  /** The range of the whole text. */
  get fullRange(): Range {
    return { start: { line: 0, character: 0 }, end: this.positionAt(this.text.length) };
  }
}

/** Applies non-overlapping edits to a text (for checks and for clients without an editor). */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const offsets = lineStartOffsets(text);
  const toOffset = (p: Position) => Math.min(text.length, (offsets[p.line] ?? text.length) + p.character);
  const sorted = [...edits].map((e) => ({ s: toOffset(e.range.start), e: toOffset(e.range.end), t: e.newText })).sort((a, b) => a.s - b.s || a.e - b.e);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.s < at) throw new Error('overlapping edits');
    out += text.slice(at, e.s) + e.t;
    at = e.e;
  }
  return out + text.slice(at);
}

function lineStartOffsets(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (c === 10) starts.push(i + 1);
  }
  return starts;
}
