import type { Frame, Trace, Violation } from '../../model';

/**
 * The code the model sees: numbered lines around the innermost workspace frames of the trace
 * (or around the route handler when no frame is in the workspace), windows in one file merged,
 * the whole bounded in size.
 */

export interface ExcerptOptions {
  /** Lines shown on each side of a frame's line. */
  context: number;
  /** How many workspace frames, innermost first. */
  maxFrames: number;
  /** Bound on the excerpts' total characters. */
  maxChars: number;
}

export const DEFAULT_EXCERPTS: ExcerptOptions = { context: 15, maxFrames: 3, maxChars: 12_000 };

/** The longest line shown; longer ones (minified code) are cut. */
const MAX_LINE = 400;

export interface CodeSpot {
  file: string;
  line: number;
  /** Why this spot: `frame add_item` or `route handler`. */
  label: string;
}

export interface Excerpt {
  file: string;
  from: number;
  to: number;
  /** The lines the spot(s) point at. */
  marked: number[];
  labels: string[];
  text: string;
}

/** Workspace frames of the trace, innermost first: the outermost exception's, then its causes' from latest to earliest. */
export function workspaceFramesInnermostFirst(trace: Trace): Frame[] {
  const lists = [trace.frames, ...[...trace.causes].reverse().map((c) => c.frames)];
  const out: Frame[] = [];
  const seen = new Set<string>();
  for (const frames of lists) {
    for (let i = frames.length - 1; i >= 0; i--) {
      const f = frames[i]!;
      const key = `${f.file}:${f.line}`;
      if (f.inWorkspace && !seen.has(key)) {
        seen.add(key);
        out.push(f);
      }
    }
  }
  return out;
}

/** Where to show code for a violation. */
export function codeSpots(violation: Violation, maxFrames: number): CodeSpot[] {
  const frames = violation.trace ? workspaceFramesInnermostFirst(violation.trace).slice(0, maxFrames) : [];
  if (frames.length > 0) return frames.map((f) => ({ file: f.file, line: f.line, label: `frame ${f.function}` }));
  if (violation.location && violation.locationKind !== 'none' && violation.locationKind !== 'scenario') {
    return [{ file: violation.location.file, line: violation.location.line, label: violation.locationKind === 'handler' ? 'route handler' : violation.locationKind === 'importer' ? 'the import that fails' : 'frame' }];
  }
  return [];
}

/** Numbered excerpts around `spots`, read through `read`; spots in missing files are skipped. */
export async function codeExcerpts(
  spots: CodeSpot[],
  read: (file: string) => Promise<string | undefined>,
  opts: ExcerptOptions = DEFAULT_EXCERPTS,
): Promise<Excerpt[]> {
  // Windows per file, in the order files are first met (innermost first).
  const byFile = new Map<string, Array<{ from: number; to: number; marked: number[]; labels: string[] }>>();
  const texts = new Map<string, string[]>();
  for (const spot of spots) {
    if (!texts.has(spot.file)) {
      const text = await read(spot.file);
      if (text === undefined) continue;
      const lines = text.split(/\r?\n/);
      if (lines.length > 1 && lines.at(-1) === '') lines.pop(); // the final newline ends the last line
      texts.set(spot.file, lines);
    }
    const lines = texts.get(spot.file)!;
    if (spot.line < 1 || spot.line > lines.length) continue;
    const from = Math.max(1, spot.line - opts.context);
    const to = Math.min(lines.length, spot.line + opts.context);
    const windows = byFile.get(spot.file) ?? [];
    const overlapping = windows.find((w) => from <= w.to + 1 && to >= w.from - 1);
    if (overlapping) {
      overlapping.from = Math.min(overlapping.from, from);
      overlapping.to = Math.max(overlapping.to, to);
      overlapping.marked.push(spot.line);
      overlapping.labels.push(`${spot.label}, line ${spot.line}`);
    } else {
      windows.push({ from, to, marked: [spot.line], labels: [`${spot.label}, line ${spot.line}`] });
    }
    byFile.set(spot.file, windows);
  }

  const out: Excerpt[] = [];
  let total = 0;
  for (const [file, windows] of byFile) {
    const lines = texts.get(file)!;
    for (const w of windows) {
      const width = String(w.to).length;
      const body: string[] = [];
      for (let n = w.from; n <= w.to; n++) {
        const raw = lines[n - 1] ?? '';
        const line = raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)}… (line cut)` : raw;
        body.push(`${w.marked.includes(n) ? '>' : ' '}${String(n).padStart(width)} | ${line}`);
      }
      let text = body.join('\n');
      let from = w.from;
      let to = w.to;
      if (total + text.length > opts.maxChars) {
        const room = opts.maxChars - total;
        if (room < 200) return out;
        // Keep the whole lines that fit, centred on the first marked line.
        const keep = Math.max(1, Math.floor((room / text.length) * body.length));
        const centre = w.marked[0]! - w.from;
        const start = Math.max(0, Math.min(body.length - keep, centre - Math.floor(keep / 2)));
        text = body.slice(start, start + keep).join('\n');
        from = w.from + start;
        to = from + keep - 1;
      }
      total += text.length;
      out.push({ file, from, to, marked: [...w.marked].sort((a, b) => a - b), labels: w.labels, text });
      if (total >= opts.maxChars) return out;
    }
  }
  return out;
}
