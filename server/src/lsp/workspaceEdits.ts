import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AnnotatedTextEdit, ChangeAnnotation, CreateFile, DeleteFile, TextDocumentEdit, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { sha256 } from '../engine/files/hash';
import type { ReadyFix } from './fixCache';
import { LineIndex, minimalTextEdits } from './minimalEdits';
import { fileUri } from './violationDiagnostic';

/** An open editor buffer: its text and version. */
export interface OpenDocument {
  text: string;
  version: number;
}

/** Open buffers by URI. */
export type DocumentLookup = (uri: string) => OpenDocument | undefined;

/** What the client can take in a WorkspaceEdit. */
export interface EditCapabilities {
  documentChanges: boolean;
  changeAnnotations: boolean;
  create: boolean;
  delete: boolean;
}

/** A file as the person sees it now: the open buffer if any, else the disk (null: it does not exist). */
export function currentFile(folderPath: string, file: string, docs: DocumentLookup): { uri: string; text: string | null; version: number | null } {
  const uri = fileUri(path.join(folderPath, file));
  const open = docs(uri);
  if (open) return { uri, text: open.text, version: open.version };
  try {
    return { uri, text: readFileSync(path.join(folderPath, file), 'utf8'), version: null };
  } catch {
    return { uri, text: null, version: null };
  }
}

/** Files of a fix whose current text is not what the plan was made against. */
export function staleFiles(fix: ReadyFix, docs: DocumentLookup): string[] {
  const stale: string[] = [];
  for (const f of fix.planned.patch.files) {
    const now = currentFile(fix.folderPath, f.file, docs).text;
    const base = fix.planned.fix.base[f.file];
    if ((now === null ? null : sha256(now)) !== (base ?? null) || now !== f.before) stale.push(f.file);
  }
  return stale;
}

export const REVIEW_ANNOTATION = 'smoke-repair.needs-review';

/** One file's change: replace `before` (what is there now) by `after`. */
export interface FileChange {
  file: string;
  before: string | null;
  /** null: delete the file. */
  after: string | null;
}

/**
 * A WorkspaceEdit for whole-file changes: per file the minimal changed ranges, pinned to the open
 * document's version (null for closed files); new files are created and deleted files removed when
 * the client can. With `annotation`, every edit carries it (needsConfirmation opens Refactor Preview).
 */
export function changesToWorkspaceEdit(
  folderPath: string,
  changes: readonly FileChange[],
  docs: DocumentLookup,
  caps: EditCapabilities,
  opts: { annotation?: ChangeAnnotation; wholeText?: boolean } = {},
): { ok: true; edit: WorkspaceEdit } | { ok: false; message: string } {
  const annotate = opts.annotation && caps.changeAnnotations && caps.documentChanges;
  // Without change annotations the editor would apply the edit at once: a fix that needs a person's
  // yes is then refused here, and applied from its preview (which asks first).
  if (opts.annotation && !annotate) {
    return { ok: false, message: 'this fix needs review, and this editor cannot ask for a confirmation before an edit: open "Preview fix" and apply it from there' };
  }
  const documentChanges: Array<TextDocumentEdit | CreateFile | DeleteFile> = [];
  const plain: Record<string, TextEdit[]> = {};
  const mark = <T extends TextEdit>(e: T): T | AnnotatedTextEdit => (annotate ? { ...e, annotationId: REVIEW_ANNOTATION } : e);
  for (const c of [...changes].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    const now = currentFile(folderPath, c.file, docs);
    if (c.after === null) {
      if (now.text === null) continue;
      if (!caps.documentChanges || !caps.delete) return { ok: false, message: `${c.file} must be deleted, and the editor cannot delete files through an edit` };
      documentChanges.push({ kind: 'delete', uri: now.uri, options: { ignoreIfNotExists: true }, ...(annotate ? { annotationId: REVIEW_ANNOTATION } : {}) });
      continue;
    }
    let edits: TextEdit[];
    if (now.text === null) {
      if (!caps.documentChanges || !caps.create) return { ok: false, message: `${c.file} must be created, and the editor cannot create files through an edit` };
      documentChanges.push({ kind: 'create', uri: now.uri, options: { ignoreIfExists: true }, ...(annotate ? { annotationId: REVIEW_ANNOTATION } : {}) });
      edits = c.after === '' ? [] : [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: c.after }];
      if (edits.length) documentChanges.push({ textDocument: { uri: now.uri, version: null }, edits: edits.map(mark) });
      continue;
    }
    edits = opts.wholeText ? (now.text === c.after ? [] : [{ range: new LineIndex(now.text).fullRange, newText: c.after }]) : minimalTextEdits(now.text, c.after);
    if (edits.length === 0) continue;
    if (caps.documentChanges) documentChanges.push({ textDocument: { uri: now.uri, version: now.version }, edits: edits.map(mark) });
    else plain[now.uri] = edits;
  }
  if (!caps.documentChanges) return { ok: true, edit: { changes: plain } };
  const edit: WorkspaceEdit = { documentChanges };
  if (annotate) edit.changeAnnotations = { [REVIEW_ANNOTATION]: opts.annotation! };
  return { ok: true, edit };
}

/** The annotation of a needs-review fix: a person confirms in Refactor Preview. */
export function reviewAnnotation(fix: ReadyFix): ChangeAnnotation {
  const reasons = [...new Set([...fix.planned.planPolicy.reasons, ...fix.planned.patchPolicy.reasons])];
  return {
    label: `Smoke Repair: ${fix.summary} (needs review, danger score ${fix.planned.patchPolicy.dangerScore})`,
    description: reasons.join('; '),
    needsConfirmation: true,
  };
}

/** The changes of one or more fixes (files never overlap: callers pick fixes with distinct files). */
export function fixChanges(fixes: readonly ReadyFix[]): FileChange[] {
  return fixes.flatMap((f) => f.planned.patch.files.map((p) => ({ file: p.file, before: p.before, after: p.after })));
}

/** Picks fixes whose files do not overlap, in order: a later fix that touches a file an earlier one changes waits for the next round. */
export function disjointFixes(fixes: readonly ReadyFix[]): { chosen: ReadyFix[]; deferred: ReadyFix[] } {
  const taken = new Set<string>();
  const chosen: ReadyFix[] = [];
  const deferred: ReadyFix[] = [];
  for (const f of fixes) {
    const files = f.planned.patch.files.map((p) => `${f.folderUri}\u0000${p.file}`);
    if (files.some((x) => taken.has(x))) deferred.push(f);
    else {
      files.forEach((x) => taken.add(x));
      chosen.push(f);
    }
  }
  return { chosen, deferred };
}
