import * as path from 'node:path';
import type { Frame, Trace, Violation } from '../model';
import { innermostWorkspaceFrame } from '../violations';

/**
 * Where the CI reports point: a failure's place in the workspace and its trace's frames in the
 * order the code ran. Shared by the SARIF, JUnit and Markdown reports so that they agree.
 */

export interface Place {
  /** Workspace-relative, forward slashes. */
  file: string;
  line: number;
  column?: number;
  /** The function of the frame, when the place is a frame. */
  function?: string;
}

/** A workspace-relative path with forward slashes, or undefined for a file outside the workspace. */
export function workspacePath(file: string, workspace: string): string | undefined {
  if (path.isAbsolute(file)) {
    const rel = path.relative(workspace, file);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    return rel.split(path.sep).join('/');
  }
  const rel = path.posix.normalize(file.replace(/\\/g, '/'));
  if (rel === '.' || rel === '..' || rel.startsWith('../')) return undefined;
  return rel;
}

/**
 * Where a violation is shown: the innermost workspace frame of its trace; else the place the run
 * gave it (the line that imports a missing module, the route handler, the scenario's line in
 * smoke-repair.yaml); else nowhere.
 */
export function violationPlace(v: Violation, workspace: string): Place | undefined {
  const frame = v.trace && innermostWorkspaceFrame(v.trace);
  const file = frame && workspacePath(frame.file, workspace);
  if (frame && file && frame.line >= 1) {
    return { file, line: frame.line, ...(frame.column ? { column: frame.column } : {}), function: frame.function };
  }
  const at = v.location && v.locationKind !== 'none' ? v.location : undefined;
  const atFile = at && workspacePath(at.file, workspace);
  if (at && atFile && at.line >= 1) return { file: atFile, line: at.line, ...(at.column ? { column: at.column } : {}) };
  return undefined;
}

/**
 * The frames of the exception a violation is located in (the one holding the innermost workspace
 * frame, else the last exception reported that has frames), outermost call first: as the code ran.
 * Python prints the most recent call last, V8 first.
 */
export function framesAsRun(trace: Trace): Frame[] {
  const inner = innermostWorkspaceFrame(trace);
  const lists = [trace.frames, ...trace.causes.map((c) => c.frames).reverse()];
  const frames = (inner && lists.find((l) => l.includes(inner))) ?? lists.find((l) => l.length > 0) ?? [];
  return trace.language === 'python' ? [...frames] : [...frames].reverse();
}

/** `app/routers/carts.py:46` */
export function placeText(p: Pick<Place, 'file' | 'line'>): string {
  return `${p.file}:${p.line}`;
}

/** A pass rate as a percentage with one decimal: `57.9%`. */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}
