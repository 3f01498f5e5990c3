import * as vscode from 'vscode';
import {
  CommandIds,
  HistoryChangedNotification,
  HistoryRequest,
  RECORD_DIFF_SCHEME,
  RecordDiffRequest,
  StartRepairLoopCommand,
  type HistoryFix,
  type HistoryRun,
} from '../../server/src/protocol';
import type { SmokeLanguageClient } from './languageClient';
import { randomBytes } from 'node:crypto';
import { runReportHtml } from './runReportHtml';

/**
 * The sidebar's Repair History: runs (a loop, or a pass on its own) → iterations → fixes, each
 * with its pass rate before → after; a fix opens the diff it kept. Rows come from the server's
 * `smokeRepair/history` request a page at a time ("Load more…" fetches the next) and refresh when
 * the server says the history changed. Start Repair Loop runs the loop in a cancellable
 * notification and then the smoke tests, so the editor shows what is left.
 */

type Node =
  | { kind: 'run'; run: HistoryRun }
  | { kind: 'iteration'; run: HistoryRun; n: number }
  | { kind: 'fix'; fix: HistoryFix }
  | { kind: 'more' }
  | { kind: 'problem'; text: string };

const pct = (r: number) => `${Math.round(r * 100)}%`;

export class RepairHistoryView implements vscode.TreeDataProvider<Node>, vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private runs: HistoryRun[] = [];
  private problems: string[] = [];
  private nextCursor: number | undefined;
  private folderUri: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly client: SmokeLanguageClient) {
    this.disposables.push(
      vscode.window.createTreeView('smokeRepair.history', { treeDataProvider: this, showCollapseAll: true }),
      vscode.workspace.registerTextDocumentContentProvider(RECORD_DIFF_SCHEME, this),
      vscode.commands.registerCommand(CommandIds.refreshHistory, () => this.refresh()),
      vscode.commands.registerCommand(CommandIds.openRecordDiff, (recordId?: string) => (recordId ? this.openDiff(recordId) : undefined)),
      vscode.commands.registerCommand('smokeRepair.history.loadMore', () => this.loadMore()),
      vscode.commands.registerCommand(CommandIds.openRunReport, (arg?: Node | string) => this.openReport(typeof arg === 'string' ? arg : arg?.kind === 'run' ? arg.run.id : undefined)),
    );
    client.onClient((lc) => lc.onNotification(HistoryChangedNotification.method, () => void this.refresh()));
    this.disposables.push(client.onDidChangeReady((ready) => ready && void this.refresh()));
  }

  async refresh(): Promise<void> {
    const page = await this.fetch(0);
    if (!page) return;
    this.runs = page.runs;
    this.problems = page.problems;
    this.nextCursor = page.nextCursor;
    this.folderUri = page.folderUri;
    this.changed.fire(undefined);
  }

  private async loadMore(): Promise<void> {
    if (this.nextCursor === undefined) return;
    const page = await this.fetch(this.nextCursor);
    if (!page) return;
    this.runs.push(...page.runs);
    this.nextCursor = page.nextCursor;
    this.changed.fire(undefined);
  }

  private async fetch(cursor: number): Promise<HistoryRequest.Result | undefined> {
    const lc = this.client.current;
    if (!lc) return undefined;
    try {
      const parsed = HistoryRequest.resultSchema.safeParse(await lc.sendRequest(HistoryRequest.method, { cursor, limit: 20 }));
      if (!parsed.success) {
        this.client.output.warn(`Unexpected answer to ${HistoryRequest.method}: ${parsed.error.issues[0]?.message}`);
        return undefined;
      }
      return parsed.data;
    } catch (err) {
      this.client.output.warn(`The repair history could not be read: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      const rows: Node[] = this.runs.map((run) => ({ kind: 'run', run }));
      if (this.nextCursor !== undefined) rows.push({ kind: 'more' });
      rows.push(...this.problems.map((text) => ({ kind: 'problem' as const, text })));
      return rows;
    }
    if (node.kind === 'run') {
      // A pass on its own has one iteration: its fixes hang on the run.
      if (node.run.kind === 'pass') return node.run.iterations[0]!.fixes.map((fix) => ({ kind: 'fix', fix }));
      return node.run.iterations.map((it) => ({ kind: 'iteration', run: node.run, n: it.n }));
    }
    if (node.kind === 'iteration') return node.run.iterations.find((it) => it.n === node.n)!.fixes.map((fix) => ({ kind: 'fix', fix }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'run': {
        const r = node.run;
        const rate = `${pct(r.passRateBefore)} → ${r.passRateAfter !== undefined ? pct(r.passRateAfter) : '…'}`;
        const item = new vscode.TreeItem(`${r.kind === 'loop' ? 'Repair loop' : 'Repair pass'} ${rate}`, vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${new Date(r.startedAt).toLocaleString()}${r.stopReason ? ` · ${r.stopReason}` : ''}`;
        item.tooltip = new vscode.MarkdownString(`**${r.id}**\n\n${r.stopDetail ?? ''}`);
        item.iconPath = new vscode.ThemeIcon(r.kind === 'loop' ? 'sync' : 'wand');
        item.contextValue = `run.${r.kind}`;
        return item;
      }
      case 'iteration': {
        const it = node.run.iterations.find((i) => i.n === node.n)!;
        const item = new vscode.TreeItem(`Iteration ${it.n}: ${pct(it.passRateBefore)} → ${pct(it.passRateAfter)}`, vscode.TreeItemCollapsibleState.Collapsed);
        const byType = Object.entries(it.fixesByType).map(([t, k]) => `${t} ${k}`).join(', ');
        item.description = it.rolledBack ? `rolled back: ${it.rolledBack.join(', ')} regressed` : byType || 'nothing applied';
        item.iconPath = new vscode.ThemeIcon(it.rolledBack ? 'discard' : 'debug-step-over');
        return item;
      }
      case 'fix': {
        const f = node.fix;
        const item = new vscode.TreeItem(f.title, vscode.TreeItemCollapsibleState.None);
        item.description = [f.planner, f.label, f.validation ? `validation ${f.validation}` : undefined, f.applied ? 'applied' : 'not applied'].filter(Boolean).join(' · ');
        item.tooltip = new vscode.MarkdownString(`${f.reason}\n\npass rate ${pct(f.passRateBefore)}${f.passRateAfter !== undefined ? ` → ${pct(f.passRateAfter)}` : ''}`);
        // A failure another fix of the pass already fixed is no failure of this one.
        const fixedByAnother = !f.applied && /^fixed by fix-/.test(f.reason);
        if (fixedByAnother) item.description = f.reason;
        item.iconPath = new vscode.ThemeIcon(f.applied || fixedByAnother ? 'pass' : f.validation === 'failed' ? 'error' : 'circle-outline');
        if (f.hasDiff) item.command = { command: CommandIds.openRecordDiff, title: 'Open Fix Diff', arguments: [f.recordId] };
        item.contextValue = f.applied ? 'fix.applied' : 'fix';
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
        item.command = { command: 'smokeRepair.history.loadMore', title: 'Load more' };
        return item;
      }
      case 'problem': {
        const item = new vscode.TreeItem(`Cannot read a record: ${node.text}`, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('warning');
        return item;
      }
    }
  }

  /** A record's diff, read-only, as a `diff` document. */
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const params = new URLSearchParams(uri.query);
    const lc = this.client.current ?? (await this.client.start());
    if (!lc) return '# The Smoke Repair language server is not running.\n';
    try {
      // A record's diff, or the diff an approval asks about (the Pending Approvals view opens those).
      const which = params.get('approvalId') ? { approvalId: params.get('approvalId') } : { recordId: params.get('recordId') ?? '' };
      const raw = await lc.sendRequest(RecordDiffRequest.method, { ...which, ...(params.get('folderUri') ? { folderUri: params.get('folderUri') } : {}) });
      return RecordDiffRequest.resultSchema.parse(raw).diff;
    } catch (err) {
      return `# No diff\n# ${err instanceof Error ? err.message : String(err)}\n`;
    }
  }

  private readonly reports = new Map<string, vscode.WebviewPanel>();

  /** The run's report in a webview (one per run): the pass rate per iteration as a chart, fixes by type, what is left. */
  private openReport(runId: string | undefined): void {
    const run = this.runs.find((r) => r.id === runId);
    if (!run) {
      void vscode.window.showWarningMessage(`Smoke Repair: no run "${runId ?? ''}" in the Repair History; refresh it and try again.`);
      return;
    }
    const title = `${run.kind === 'loop' ? 'Repair loop' : 'Repair pass'} report`;
    let panel = this.reports.get(run.id);
    if (panel) panel.reveal();
    else {
      panel = vscode.window.createWebviewPanel('smokeRepair.runReport', title, vscode.ViewColumn.Active, { enableScripts: false, localResourceRoots: [] });
      const opened = panel;
      this.reports.set(run.id, opened);
      opened.onDidDispose(() => this.reports.delete(run.id));
    }
    panel.webview.html = runReportHtml(run, { cspSource: panel.webview.cspSource, nonce: randomBytes(16).toString('base64') });
  }

  private openDiff(recordId: string): Promise<void> {
    return openDiffDocument(recordId, { recordId }, this.folderUri);
  }

  dispose(): void {
    this.changed.dispose();
    for (const p of this.reports.values()) p.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * A kept diff (a repair record's, or the one an approval asks about) as a read-only `diff` document
 * of the `smoke-repair-diff:` scheme, which the history view's content provider answers.
 */
export async function openDiffDocument(name: string, which: { recordId: string } | { approvalId: string }, folderUri: string | undefined): Promise<void> {
  const query = new URLSearchParams({ ...which, ...(folderUri ? { folderUri } : {}) }).toString();
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: RECORD_DIFF_SCHEME, path: `/${name}.diff`, query }));
  await vscode.languages.setTextDocumentLanguage(doc, 'diff');
  await vscode.window.showTextDocument(doc, { preview: true });
}

/**
 * Start Repair Loop: unsaved files are saved first (the loop writes files on disk), the loop runs in
 * a cancellable notification, then the smoke tests run so diagnostics show what is left.
 */
export async function startRepairLoop(client: SmokeLanguageClient, runSmoke: () => Promise<unknown>): Promise<StartRepairLoopCommand.Result | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Smoke Repair changes files and runs your app, so it does nothing in an untrusted workspace.');
    return undefined;
  }
  const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && d.uri.scheme === 'file');
  if (dirty.length > 0) {
    const choice = await vscode.window.showWarningMessage(
      `Smoke Repair: ${dirty.length} file(s) have unsaved changes. The repair loop changes files on disk: save them first?`,
      { modal: true },
      'Save All and Start',
    );
    if (choice !== 'Save All and Start') return undefined;
    await vscode.workspace.saveAll(false);
  }
  const lc = client.current ?? (await client.start());
  if (!lc) {
    void vscode.window.showErrorMessage('Smoke Repair: the language server is not running.');
    return undefined;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Smoke Repair: repair loop', cancellable: true },
    async (progress, token) => {
      progress.report({ message: 'smoke, plan, validate, apply, smoke again…' });
      const raw = await lc.sendRequest('workspace/executeCommand', { command: StartRepairLoopCommand.id, arguments: [] }, token);
      return StartRepairLoopCommand.resultSchema.safeParse(raw);
    },
  );
  if (!result.success) {
    void vscode.window.showErrorMessage('Smoke Repair: the repair loop answered with an unexpected shape. See the output for details.');
    return undefined;
  }
  const r = result.data;
  if (!r.ok) {
    void vscode.window.showWarningMessage(`Smoke Repair: ${r.message}`);
    return r;
  }
  await runSmoke();
  const left = r.escalation.length > 0 ? ` ${r.escalation.length} failure(s) left for you: ${r.escalation.map((e) => e.scenario).join(', ')}.` : '';
  void vscode.window.showInformationMessage(`Smoke Repair: repair loop ${pct(r.passRateStart)} → ${pct(r.passRateEnd)} in ${r.iterations} iteration(s), ${r.applied} fix(es) applied; stopped: ${r.stopReason}.${left}`);
  return r;
}
