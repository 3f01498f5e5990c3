import * as vscode from 'vscode';
import { parseReportQuery, REPORT_SCHEME, ReportRequest } from '../../server/src/protocol';
import type { SmokeLanguageClient } from './languageClient';

/**
 * Read-only documents for `smoke-repair-report:` URIs, the `codeDescription.href` of every
 * smoke-test diagnostic. VS Code opens a link with a non-web scheme in an editor, which asks this
 * provider for the text; the `.md` path makes it a Markdown document.
 */
export class ReportView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration: vscode.Disposable;

  constructor(private readonly client: SmokeLanguageClient) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this);
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const params = parseReportQuery(uri.query);
    if (!params) return `# Not a Smoke Repair report\n\n\`${uri.toString(true)}\` does not name a violation.\n`;
    const lc = this.client.current ?? (await this.client.start());
    if (!lc) return '# Report not available\n\nThe Smoke Repair language server is not running.\n';
    try {
      const raw = await lc.sendRequest(ReportRequest.method, params, token);
      const parsed = ReportRequest.resultSchema.safeParse(raw);
      return parsed.success ? parsed.data.markdown : `# Report not available\n\nThe server answered with an unexpected shape.\n`;
    } catch (err) {
      return `# Report not available\n\n${err instanceof Error ? err.message : String(err)}\n`;
    }
  }

  /** After a run, open reports show the new results. */
  refreshOpen(): void {
    for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === REPORT_SCHEME) this.changed.fire(doc.uri);
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
