/**
 * The failure report behind a diagnostic's code: opening the code's target shows a
 * `smoke-repair-report:` document (virtual, so read-only in the editor) with the request, the response and the trace.
 */
import * as vscode from 'vscode';
import { log, poll } from './poll';

export const REPORT_SCHEME = 'smoke-repair-report';

export async function reportOpens(d: vscode.Diagnostic | undefined, mustContain: string[], timeoutMs: number): Promise<void> {
  if (!d) throw new Error('no diagnostic to inspect (previous test failed)');
  const code = d.code;
  if (!code || typeof code !== 'object') throw new Error(`the diagnostic's code ${JSON.stringify(code)} carries no link to a report`);
  const target = code.target;
  if (target.scheme !== REPORT_SCHEME) throw new Error(`the code's link ${target.toString()} is not a ${REPORT_SCHEME}: URI`);
  await vscode.commands.executeCommand('vscode.open', target);
  let text = '';
  const doc = await poll(`a ${REPORT_SCHEME} document containing ${mustContain.join(', ')}`, timeoutMs, () => {
    const open = vscode.workspace.textDocuments.find((t) => t.uri.scheme === REPORT_SCHEME && t.uri.toString() === target.toString());
    text = open?.getText() ?? '';
    return open && mustContain.every((s) => text.includes(s)) ? open : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}; the report reads:\n${text.split('\n').slice(0, 30).join('\n')}`);
  });
  log(`report ${doc.uri.path} (${doc.languageId}, ${doc.lineCount} lines): ${doc.lineAt(0).text}`);
  if (doc.languageId !== 'markdown') throw new Error(`the report's language is ${doc.languageId}, expected markdown`);
  // A content provider's document has no file behind it and cannot be saved; the UI test checks
  // that its editor refuses typing.
  if (doc.isDirty || doc.isUntitled) throw new Error('the report document is dirty or untitled, expected a clean virtual document');
}
