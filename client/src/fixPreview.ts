import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { CommandIds, FixDetailsRequest, parsePatchedQuery, PATCHED_SCHEME, PatchedTextRequest } from '../../server/src/protocol';
import type { SmokeLanguageClient } from './languageClient';

/**
 * The fix preview: a webview beside the editor with the plan (root cause, category, confidence,
 * operations, evidence), both policy decisions and the validation steps, plus one `vscode.diff`
 * per changed file between the file and its patched text (read-only `smoke-repair-patched:`
 * documents served from the server's cache). "Apply" runs `smokeRepair.applyFix`.
 */
export class FixPreview implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: SmokeLanguageClient,
  ) {
    this.disposables.push(vscode.workspace.registerTextDocumentContentProvider(PATCHED_SCHEME, this));
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const params = parsePatchedQuery(uri.query);
    const lc = this.client.current;
    if (!params || !lc) return '';
    const parsed = PatchedTextRequest.resultSchema.safeParse(await lc.sendRequest(PatchedTextRequest.method, params, token));
    return parsed.success ? parsed.data.text : '';
  }

  async show(fixId: string): Promise<void> {
    const lc = this.client.current ?? (await this.client.start());
    if (!lc) return;
    let details: FixDetailsRequest.Result;
    try {
      const parsed = FixDetailsRequest.resultSchema.safeParse(await lc.sendRequest(FixDetailsRequest.method, { fixId }));
      if (!parsed.success) throw new Error('unexpected answer from the server');
      details = parsed.data;
    } catch (err) {
      void vscode.window.showWarningMessage(`Smoke Repair: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'preview');
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('smokeRepair.fixPreview', 'Fix preview', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
        enableScripts: true,
        localResourceRoots: [media],
      });
      this.panel.onDidDispose(() => (this.panel = undefined), undefined, this.disposables);
      this.panel.webview.onDidReceiveMessage(
        async (m: { type?: string; fixId?: string; file?: string }) => {
          if (m.type === 'apply' && m.fixId) {
            const r = (await vscode.commands.executeCommand(CommandIds.applyFix, { fixId: m.fixId })) as { ok?: boolean } | undefined;
            if (r?.ok) this.panel?.dispose();
          } else if (m.type === 'discard') this.panel?.dispose();
          else if (m.type === 'diff' && m.fixId && m.file) await this.openDiff(details, m.file);
        },
        undefined,
        this.disposables,
      );
    }
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'preview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'preview.css'));
    this.panel.title = `Fix: ${details.plan.category.toLowerCase()}`;
    const payload = JSON.stringify(details).replace(/</g, '\\u003c');
    webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${style}" rel="stylesheet"><title>Fix preview</title></head>
<body><main id="root"></main>
<script nonce="${nonce}" id="fix-data" type="application/json">${payload}</script>
<script nonce="${nonce}" src="${script}"></script></body></html>`;
    this.panel.reveal(vscode.ViewColumn.Beside, true);
    for (const f of details.files) await this.openDiff(details, f.file);
  }

  private async openDiff(details: FixDetailsRequest.Result, file: string): Promise<void> {
    const f = details.files.find((x) => x.file === file);
    if (!f) return;
    await vscode.commands.executeCommand('vscode.diff', vscode.Uri.parse(f.uri), vscode.Uri.parse(f.patchedUri), `${f.file} ↔ after the fix`, {
      preview: true,
      viewColumn: vscode.ViewColumn.One,
      preserveFocus: true,
    });
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
