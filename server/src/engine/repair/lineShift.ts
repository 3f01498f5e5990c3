import { structuredPatch } from 'diff';
import type { Frame, SourceLocation, Violation } from '../model';
import type { FilePatch } from '../contracts';

/**
 * When a fix earlier in the same pass changed a file, the line numbers a later violation carries
 * (its location, its trace's frames) point at the file as it was. These helpers move them to the
 * same lines in the file as it is now, so the later violation is planned against the current text.
 */

/** The line in `after` that holds what was line `line` (1-based) of `before`; a removed line maps to where it was. */
export function mapLine(before: string, after: string, line: number): number {
  const { hunks } = structuredPatch('a', 'b', before, after, undefined, undefined, { context: 0 });
  let shift = 0;
  for (const h of hunks) {
    const oldEnd = h.oldStart + h.oldLines; // first old line after the hunk
    if (line < h.oldStart || (h.oldLines === 0 && line <= h.oldStart)) break;
    if (line >= oldEnd && !(h.oldLines === 0 && line === h.oldStart)) {
      shift += h.newLines - h.oldLines;
      continue;
    }
    // Inside a changed run: keep it at the start of the replacement.
    return Math.max(1, h.newStart + (h.newLines === 0 ? 1 : 0));
  }
  return Math.max(1, line + shift);
}

function shiftLocation<T extends SourceLocation | Frame>(loc: T, patches: FilePatch[]): T {
  let line = loc.line;
  for (const p of patches) if (p.file === loc.file && p.before !== null) line = mapLine(p.before, p.after, line);
  return line === loc.line ? loc : { ...loc, line };
}

/** The violation with its workspace lines moved through the patches applied since it was found (in order). */
export function shiftViolation(v: Violation, applied: FilePatch[]): Violation {
  if (applied.length === 0) return v;
  const frames = (fs: Frame[]) => fs.map((f) => (f.inWorkspace ? shiftLocation(f, applied) : f));
  return {
    ...v,
    ...(v.location ? { location: shiftLocation(v.location, applied) } : {}),
    ...(v.trace
      ? { trace: { ...v.trace, frames: frames(v.trace.frames), causes: v.trace.causes.map((c) => ({ ...c, frames: frames(c.frames) })) } }
      : {}),
  };
}

/** Whether line `line` (1-based) of `before` is changed or removed in `after`. */
export function lineChanged(before: string, after: string, line: number): boolean {
  const { hunks } = structuredPatch('a', 'b', before, after, undefined, undefined, { context: 0 });
  return hunks.some((h) => h.oldLines > 0 && line >= h.oldStart && line < h.oldStart + h.oldLines);
}

/**
 * The places of a violation's evidence (its location and the workspace frames of its trace) that a
 * fix applied since it was found has changed: there, the trace tells of code that is no longer
 * there, and a plan made from it would answer a failure that may not happen any more. Lines are
 * followed through the patches in order. Empty when the evidence still stands.
 */
export function staleEvidence(v: Violation, applied: FilePatch[]): string[] {
  if (applied.length === 0) return [];
  const places: SourceLocation[] = [];
  if (v.location && (v.locationKind === 'frame' || v.locationKind === 'importer')) places.push(v.location);
  for (const f of [...(v.trace?.frames ?? []), ...(v.trace?.causes.flatMap((c) => c.frames) ?? [])]) if (f.inWorkspace) places.push(f);
  const out = new Set<string>();
  for (const place of places) {
    let line = place.line;
    for (const p of applied) {
      if (p.file !== place.file || p.before === null) continue;
      if (lineChanged(p.before, p.after, line)) {
        out.add(`${place.file}:${place.line}`);
        break;
      }
      line = mapLine(p.before, p.after, line);
    }
  }
  return [...out];
}
