import * as vscode from 'vscode';
import { CommandIds, RunSmokeCommand } from '../../server/src/protocol';
import type { SmokeLanguageClient } from './languageClient';
import type { SmokeStatusBar } from './statusBar';

/**
 * Runs the smoke tests through the server (`workspace/executeCommand`); the server reports
 * progress with work-done progress, which VS Code shows as a notification. Says why nothing runs
 * in an untrusted workspace, and explains structured errors the server returns.
 */
export async function runSmokeTests(client: SmokeLanguageClient, status: SmokeStatusBar, folderUri?: string): Promise<RunSmokeCommand.Result | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      'Smoke Repair runs your app and sends it HTTP requests, so it does nothing in an untrusted workspace. Trust this workspace to run smoke tests.',
      'Manage Workspace Trust',
    ).then((choice) => choice && vscode.commands.executeCommand('workbench.trust.manage'));
    return undefined;
  }
  const lc = client.current ?? (await client.start());
  if (!lc) {
    void vscode.window.showErrorMessage('Smoke Repair: the language server is not running. See the output for details.', 'Show Output').then((c) => c && client.output.show());
    return undefined;
  }
  status.running();
  let raw: unknown;
  try {
    raw = await lc.sendRequest('workspace/executeCommand', { command: RunSmokeCommand.id, arguments: folderUri ? [{ folderUri }] : [] });
  } catch (err) {
    status.ready();
    client.output.error(`Running the smoke tests failed: ${err instanceof Error ? err.message : String(err)}`);
    void vscode.window.showErrorMessage('Smoke Repair: the smoke run failed. See the output for details.');
    return undefined;
  }
  const parsed = RunSmokeCommand.resultSchema.safeParse(raw);
  if (!parsed.success) {
    status.ready();
    client.output.error(`Unexpected answer to ${RunSmokeCommand.id}: ${JSON.stringify(raw)}`);
    return undefined;
  }
  const result = parsed.data;
  if (!result.ok) {
    status.ready();
    const { kind, message, remedy } = result.error;
    // The server has already shown environment and internal errors.
    if (kind === 'noConfig') void vscode.window.showWarningMessage(`Smoke Repair: ${message}${remedy ? ` ${remedy}` : ''}`);
    else if (kind === 'config') void vscode.window.showErrorMessage(`Smoke Repair: ${message}`, 'Show Problems').then((c) => c && vscode.commands.executeCommand('workbench.actions.view.problems'));
    else if (kind === 'busy') void vscode.window.showInformationMessage(`Smoke Repair: ${message}`);
  }
  return result;
}

export function registerCommands(client: SmokeLanguageClient, status: SmokeStatusBar): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(CommandIds.runSmoke, (arg?: vscode.Uri | string) =>
      runSmokeTests(client, status, arg instanceof vscode.Uri ? arg.toString() : typeof arg === 'string' ? arg : undefined),
    ),
    vscode.commands.registerCommand(CommandIds.showOutput, () => client.output.show()),
    vscode.commands.registerCommand(CommandIds.restartServer, async () => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('Smoke Repair does not start its server in an untrusted workspace.');
        return;
      }
      status.starting();
      const lc = await client.restart();
      if (!lc) status.stopped();
    }),
  ];
}
