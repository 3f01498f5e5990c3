/**
 * Configuration diagnostics on an unsaved buffer: a misspelt key typed into `smoke-repair.yaml`
 * gets a located smoke-repair diagnostic with a suggestion; reverting the buffer clears it. The
 * file on disk is never written.
 */
import * as vscode from 'vscode';
import { log, poll } from './poll';

const SOURCE = 'smoke-repair';
const CONFIG_FILE = 'smoke-repair.yaml';
const TYPO = 'helth';
const SUGGESTION = 'health';

export async function configTypoIsDiagnosed(folder: vscode.WorkspaceFolder, timeoutMs: number): Promise<void> {
  const uri = vscode.Uri.joinPath(folder.uri, CONFIG_FILE);
  const onDisk = await vscode.workspace.fs.readFile(uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  const ours = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
  const describe = (ds: vscode.Diagnostic[]) => ds.map((d) => `${d.range.start.line + 1}: ${d.message.replace(/\n/g, ' | ')}`).join('; ') || '(none)';
  // The web workbench saves dirty buffers after a delay by default; the harness turns that off.
  // Never type into the workspace's config while anything could write it to disk.
  const autoSave = vscode.workspace.getConfiguration('files', uri).get<string>('autoSave');
  if (autoSave !== 'off') throw new Error(`files.autoSave is "${autoSave}"; expected "off" (test/e2e/userSettings.json) so the unsaved edit never reaches the disk`);
  if (doc.isDirty) throw new Error(`${CONFIG_FILE} is already modified in the editor; expected a clean buffer`);
  const before = ours();
  if (before.length) throw new Error(`${CONFIG_FILE} has ${SOURCE} diagnostics before any edit: ${describe(before)}`);

  let failure: Error | undefined;
  try {
    const appLine = findLine(doc, /^app:\s*$/);
    const inserted = appLine + 1;
    const indent = /^(\s*)/.exec(doc.lineAt(inserted).text)?.[1] || '  ';
    const ok = await editor.edit((b) => b.insert(new vscode.Position(inserted, 0), `${indent}${TYPO}: /health\n`));
    if (!ok) throw new Error(`could not insert "${TYPO}:" under app: in the editor`);
    if (!doc.isDirty) throw new Error('the buffer is not dirty after the edit');
    log(`typed "${indent}${TYPO}: /health" on ${CONFIG_FILE}:${inserted + 1} (not saved)`);
    const d = await poll(`a ${SOURCE} diagnostic on ${CONFIG_FILE}:${inserted + 1} about "${TYPO}"`, timeoutMs, () =>
      ours().find((x) => x.range.start.line === inserted && x.message.includes(TYPO)),
    ).catch((err: Error) => {
      throw new Error(`${err.message}; ${SOURCE} diagnostics on ${CONFIG_FILE}: ${describe(ours())}`);
    });
    log(`config diagnostic ${CONFIG_FILE}:${d.range.start.line + 1}:${d.range.start.character + 1} [${String(typeof d.code === 'object' ? d.code.value : d.code)}] ${d.message.replace(/\n/g, ' | ')}`);
    if (!/unknown key/i.test(d.message)) throw new Error(`the diagnostic does not say the key is unknown: ${d.message}`);
    if (!d.message.includes(`"${SUGGESTION}"`)) throw new Error(`the diagnostic does not suggest "${SUGGESTION}": ${d.message}`);
    if (d.severity !== vscode.DiagnosticSeverity.Error) throw new Error(`severity is ${d.severity}, expected Error`);
    const marked = doc.getText(d.range);
    if (!marked.includes(TYPO)) throw new Error(`the diagnostic's range covers "${marked}", expected the key "${TYPO}"`);
  } catch (err) {
    failure = err as Error;
  } finally {
    // Revert in every case: the workspace must stay as it was.
    await vscode.window.showTextDocument(doc, { preview: false });
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }
  if (failure) throw failure;

  await poll('the buffer to be reverted', timeoutMs, () => (!doc.isDirty ? true : undefined));
  await poll(`the ${SOURCE} diagnostics on ${CONFIG_FILE} to clear after the revert`, timeoutMs, () => (ours().length === 0 ? true : undefined)).catch(
    (err: Error) => {
      throw new Error(`${err.message}; still: ${describe(ours())}`);
    },
  );
  const after = await vscode.workspace.fs.readFile(uri);
  if (Buffer.compare(Buffer.from(onDisk), Buffer.from(after)) !== 0) throw new Error(`${CONFIG_FILE} on disk changed (${onDisk.length} → ${after.length} bytes)`);
  if (doc.getText() !== Buffer.from(onDisk).toString('utf8')) throw new Error(`the reverted buffer of ${CONFIG_FILE} differs from the file on disk`);
  log(`reverted; no ${SOURCE} diagnostics on ${CONFIG_FILE}; the file on disk is byte-identical (${after.length} bytes)`);
}

function findLine(doc: vscode.TextDocument, re: RegExp): number {
  for (let i = 0; i < doc.lineCount; i++) if (re.test(doc.lineAt(i).text)) return i;
  throw new Error(`${doc.uri.path}: no line matching ${re}; expected a top-level "app:" mapping`);
}
