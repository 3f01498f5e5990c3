import * as vscode from 'vscode';
import { CommandIds, RunFinishedNotification, RunStartedNotification, SaveDocumentsRequest } from '../../server/src/protocol';
import { registerCommands, runSmokeTests } from './commands';
import { FixPreview } from './fixPreview';
import { ApprovalsView } from './approvalsView';
import { RepairHistoryView, startRepairLoop } from './historyView';
import { registerRepairCommands, saveDocuments } from './repairCommands';
import { configuredConfigFile, SmokeLanguageClient } from './languageClient';
import { registerLlm } from './llm';
import { ReportView } from './reportView';
import { SmokeStatusBar } from './statusBar';
import { SmokeTesting } from './testing';

let smokeClient: SmokeLanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Smoke Repair', { log: true });
  const status = new SmokeStatusBar();
  const client = new SmokeLanguageClient(context, output);
  smokeClient = client;
  const reports = new ReportView(client);
  const testing = new SmokeTesting(() => runSmokeTests(client, status));
  const preview = new FixPreview(context, client);
  const history = new RepairHistoryView(client);
  const approvals = new ApprovalsView(client, () => runSmokeTests(client, status));
  context.subscriptions.push(
    history,
    approvals,
    vscode.commands.registerCommand(CommandIds.startRepairLoop, () => startRepairLoop(client, () => runSmokeTests(client, status))),
    output,
    status,
    client,
    reports,
    testing,
    preview,
    ...registerCommands(client, status),
    ...registerRepairCommands(client, preview, () => runSmokeTests(client, status)),
    ...registerLlm(context, client),
  );

  client.onDidChangeReady((ready) => (ready ? status.ready() : status.stopped()));
  client.onClient((lc) => {
    lc.onRequest(SaveDocumentsRequest.method, (params: unknown) => saveDocuments(params));
    lc.onNotification(RunStartedNotification.method, () => status.running());
    lc.onNotification(RunFinishedNotification.method, (raw: unknown) => {
      const parsed = RunFinishedNotification.paramsSchema.safeParse(raw);
      if (!parsed.success) {
        output.warn(`Ignoring a malformed ${RunFinishedNotification.method} notification: ${parsed.error.issues[0]?.message}`);
        return;
      }
      status.finished(parsed.data);
      testing.finished(parsed.data, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
      reports.refreshOpen();
    });
  });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('smokeRepair.configFile') && vscode.workspace.isTrusted) {
        status.starting();
        await client.restart();
      }
    }),
  );

  void updateHasConfig(context);

  if (!vscode.workspace.isTrusted) {
    status.untrusted();
    context.subscriptions.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        status.starting();
        void client.start();
      }),
    );
    return;
  }
  await client.start();
}

/** Context key `smokeRepair.hasConfig` (walkthrough step "Describe your app"), kept up to date. */
async function updateHasConfig(context: vscode.ExtensionContext): Promise<void> {
  const glob = `**/${configuredConfigFile()}`;
  const refresh = async () => {
    const found = await vscode.workspace.findFiles(glob, '**/node_modules/**', 1);
    await vscode.commands.executeCommand('setContext', 'smokeRepair.hasConfig', found.length > 0);
  };
  const watcher = vscode.workspace.createFileSystemWatcher(glob);
  context.subscriptions.push(watcher, watcher.onDidCreate(refresh), watcher.onDidDelete(refresh));
  await refresh();
}

export async function deactivate(): Promise<void> {
  await smokeClient?.stop();
}
