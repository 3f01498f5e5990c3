import * as vscode from 'vscode';
import {
  ApprovalsChangedNotification,
  ApprovalsRequest,
  CommandIds,
  DecideApprovalCommand,
  type ApprovalItem,
} from '../../server/src/protocol';
import { openDiffDocument } from './historyView';
import type { SmokeLanguageClient } from './languageClient';

/**
 * The sidebar's Pending Approvals: each fix the repair held for a person (needs review, checked
 * without running its scenarios, a SECURITY or POLICY failure), with why, its danger score and
 * validation. A row opens its diff; Approve and Reject sit on the row. The server records who and
 * when, and applies an approved fix at once (or the running loop does in its next iteration); the
 * smoke tests then run so diagnostics show what is left. When a repair opens approvals, a
 * notification says so, with the same three actions.
 */

const WHY: Record<string, string> = {
  'needs-review': 'needs review',
  checked: 'checked without running its scenarios',
  security: 'SECURITY failure',
  policy: 'POLICY failure',
  'hold-all': 'every fix waits',
};

type Node = { kind: 'approval'; item: ApprovalItem } | { kind: 'problem'; text: string };

export class ApprovalsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private items: ApprovalItem[] = [];
  private problems: string[] = [];
  private folderUri: string | undefined;
  private readonly view: vscode.TreeView<Node>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly client: SmokeLanguageClient,
    private readonly runSmoke: () => Promise<unknown>,
  ) {
    this.view = vscode.window.createTreeView('smokeRepair.approvals', { treeDataProvider: this });
    this.disposables.push(
      this.view,
      vscode.commands.registerCommand(CommandIds.refreshApprovals, () => this.refresh()),
      vscode.commands.registerCommand(CommandIds.openApprovalDiff, (arg?: Node | string) => this.openDiff(idOf(arg))),
      vscode.commands.registerCommand(CommandIds.approveFix, (arg?: Node | string) => this.decide(idOf(arg), 'approved')),
      vscode.commands.registerCommand(CommandIds.rejectFix, (arg?: Node | string, note?: string) => this.decide(idOf(arg), 'rejected', note)),
    );
    client.onClient((lc) =>
      lc.onNotification(ApprovalsChangedNotification.method, (raw: unknown) => {
        const parsed = ApprovalsChangedNotification.paramsSchema.safeParse(raw);
        void this.refresh();
        if (parsed.success && parsed.data.opened.length > 0) void this.announce(parsed.data.opened);
      }),
    );
    this.disposables.push(client.onDidChangeReady((ready) => ready && void this.refresh()));
  }

  /** What waits now, as the server has it. */
  get pending(): readonly ApprovalItem[] {
    return this.items;
  }

  async refresh(): Promise<void> {
    const lc = this.client.current;
    if (!lc) return;
    try {
      const parsed = ApprovalsRequest.resultSchema.safeParse(await lc.sendRequest(ApprovalsRequest.method, {}));
      if (!parsed.success) {
        this.client.output.warn(`Unexpected answer to ${ApprovalsRequest.method}: ${parsed.error.issues[0]?.message}`);
        return;
      }
      this.items = parsed.data.approvals;
      this.problems = parsed.data.problems;
      this.folderUri = parsed.data.folderUri;
      const waiting = this.items.filter((a) => a.status === 'pending').length;
      this.view.badge = waiting > 0 ? { value: waiting, tooltip: `${waiting} fix(es) wait for your approval` } : undefined;
      this.changed.fire(undefined);
    } catch (err) {
      this.client.output.warn(`The approvals could not be read: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  getChildren(node?: Node): Node[] {
    if (node) return [];
    return [...this.items.map((item): Node => ({ kind: 'approval', item })), ...this.problems.map((text): Node => ({ kind: 'problem', text }))];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'problem') {
      const item = new vscode.TreeItem(`Cannot read an approval: ${node.text}`, vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon('warning');
      return item;
    }
    const a = node.item;
    const item = new vscode.TreeItem(`${a.scenario}: ${a.title}`, vscode.TreeItemCollapsibleState.None);
    const state = a.status === 'approved' ? `approved by ${a.decision?.by ?? 'a person'}, not applied yet` : WHY[a.why] ?? a.why;
    item.description = `${state} · danger ${a.dangerScore} · validation ${a.validation}`;
    const decided = a.decision ? `\n\n${a.decision.decision} by ${a.decision.by} at ${new Date(a.decision.at).toLocaleString()}${a.decision.note ? `: ${a.decision.note}` : ''}` : '';
    item.tooltip = new vscode.MarkdownString(`**${a.id}** (${a.planner})\n\n${a.message}\n\n${a.reason}${decided}`);
    item.iconPath = new vscode.ThemeIcon(a.status === 'approved' ? 'pass' : a.why === 'security' || a.why === 'policy' ? 'shield' : 'question');
    item.command = { command: CommandIds.openApprovalDiff, title: 'Open Fix Diff', arguments: [a.id] };
    item.contextValue = `approval.${a.status}`;
    item.id = a.id;
    return item;
  }

  /** A notification for fixes that now wait: one of them with Approve / Reject / Show Diff, or several with a link to the view. */
  private async announce(opened: ApprovalItem[]): Promise<void> {
    if (opened.length > 1) {
      const choice = await vscode.window.showInformationMessage(`Smoke Repair: ${opened.length} fixes wait for your approval.`, 'Show Pending Approvals');
      if (choice) await vscode.commands.executeCommand('smokeRepair.approvals.focus');
      return;
    }
    const a = opened[0]!;
    const choice = await vscode.window.showInformationMessage(
      `Smoke Repair: a fix waits for your approval (${WHY[a.why] ?? a.why}, danger ${a.dangerScore}): ${a.scenario}: ${a.title}`,
      'Show Diff',
      'Approve',
      'Reject',
    );
    if (choice === 'Show Diff') await this.openDiff(a.id);
    else if (choice === 'Approve') await this.decide(a.id, 'approved');
    else if (choice === 'Reject') await this.decide(a.id, 'rejected');
  }

  private async openDiff(id: string | undefined): Promise<void> {
    if (id) await openDiffDocument(id, { approvalId: id }, this.folderUri);
  }

  /** Record the decision; an approved fix is applied by the server, then the smoke tests run. */
  async decide(id: string | undefined, decision: 'approved' | 'rejected', note?: string): Promise<DecideApprovalCommand.Result | undefined> {
    if (!id) {
      void vscode.window.showWarningMessage('Smoke Repair: choose a fix in Pending Approvals first.');
      return undefined;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Smoke Repair changes files and runs your app, so it does nothing in an untrusted workspace.');
      return undefined;
    }
    const lc = this.client.current ?? (await this.client.start());
    if (!lc) {
      void vscode.window.showErrorMessage('Smoke Repair: the language server is not running.');
      return undefined;
    }
    const args = [{ approvalId: id, decision, ...(this.folderUri ? { folderUri: this.folderUri } : {}), ...(note ? { note } : {}) }];
    const raw = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: decision === 'approved' ? 'Smoke Repair: applying the approved fix' : 'Smoke Repair: rejecting the fix', cancellable: decision === 'approved' },
      (_progress, token) => lc.sendRequest('workspace/executeCommand', { command: DecideApprovalCommand.id, arguments: args }, token),
    );
    const parsed = DecideApprovalCommand.resultSchema.safeParse(raw);
    await this.refresh();
    if (!parsed.success) {
      void vscode.window.showErrorMessage('Smoke Repair: the decision was answered with an unexpected shape. See the output for details.');
      this.client.output.warn(`Unexpected answer to ${DecideApprovalCommand.id}: ${parsed.error.issues[0]?.message}`);
      return undefined;
    }
    const r = parsed.data;
    if (!r.ok) {
      void vscode.window.showWarningMessage(`Smoke Repair: ${r.message}`);
      return r;
    }
    if (r.approval.status === 'applied') await this.runSmoke();
    const rate = r.passRateAfter !== undefined ? ` Pass rate now ${Math.round(r.passRateAfter * 100)}%.` : '';
    void vscode.window.showInformationMessage(`Smoke Repair: ${r.approval.scenario}: ${r.detail}.${rate}`);
    return r;
  }

  dispose(): void {
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function idOf(arg: { kind: string; item?: ApprovalItem } | string | undefined): string | undefined {
  if (typeof arg === 'string') return arg;
  return arg?.kind === 'approval' ? arg.item?.id : undefined;
}
