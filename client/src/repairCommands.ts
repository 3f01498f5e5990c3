import * as vscode from 'vscode';
import {
  ApplyFixCommand,
  CommandIds,
  RepairFailuresCommand,
  RollbackLastFixCommand,
  SaveDocumentsRequest,
  type RunSmokeCommand,
} from '../../server/src/protocol';
import type { FixPreview } from './fixPreview';
import type { SmokeLanguageClient } from './languageClient';

/**
 * The repair commands: Apply Fix (from the preview), Repair Failures, Roll Back Last Fix. The
 * server does the work (checkpoint, WorkspaceEdit, record); the client asks people what only
 * people can decide, saves the documents the server changed, and re-runs smoke.
 */

type RunSmoke = () => Promise<RunSmokeCommand.Result | undefined>;

function untrusted(): boolean {
  if (vscode.workspace.isTrusted) return false;
  void vscode.window.showWarningMessage('Smoke Repair changes files and runs your app, so it does nothing in an untrusted workspace.', 'Manage Workspace Trust').then(
    (c) => c && vscode.commands.executeCommand('workbench.trust.manage'),
  );
  return true;
}

async function execute(client: SmokeLanguageClient, command: string, args: unknown[]): Promise<unknown> {
  const lc = client.current ?? (await client.start());
  if (!lc) throw new Error('the Smoke Repair language server is not running');
  return lc.sendRequest('workspace/executeCommand', { command, arguments: args });
}

/** Server → client: save what a fix or a rollback changed (VS Code applies edits to buffers without saving). */
export async function saveDocuments(params: unknown): Promise<SaveDocumentsRequest.Result> {
  const parsed = SaveDocumentsRequest.paramsSchema.safeParse(params);
  if (!parsed.success) return { saved: [], failed: [{ uri: '', reason: `invalid request: ${parsed.error.issues[0]?.message}` }] };
  const saved: string[] = [];
  const failed: SaveDocumentsRequest.Result['failed'] = [];
  for (const uri of parsed.data.uris) {
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
      if (!doc.isDirty || (await doc.save())) saved.push(uri);
      else failed.push({ uri, reason: 'the editor did not save it' });
    } catch (err) {
      failed.push({ uri, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return { saved, failed };
}

export async function applyFix(client: SmokeLanguageClient, fixId: string, confirmed = false): Promise<ApplyFixCommand.Result | undefined> {
  if (untrusted()) return undefined;
  const raw = await execute(client, ApplyFixCommand.id, [{ fixId, confirmed }]);
  const parsed = ApplyFixCommand.resultSchema.safeParse(raw);
  if (!parsed.success) {
    client.output.error(`Unexpected answer to ${ApplyFixCommand.id}: ${JSON.stringify(raw)}`);
    return undefined;
  }
  const r = parsed.data;
  if (r.ok) {
    void vscode.window.setStatusBarMessage(`Smoke Repair: fix applied to ${r.files.join(', ')}`, 5000);
  } else if (r.code === 'needsConfirmation') {
    const yes = await vscode.window.showWarningMessage(`Smoke Repair: this fix needs review.`, { modal: true, detail: r.message }, 'Apply');
    if (yes === 'Apply') return applyFix(client, fixId, true);
  } else {
    void vscode.window.showWarningMessage(`Smoke Repair: ${r.message}`);
  }
  return r;
}

export async function repairFailures(client: SmokeLanguageClient, preview: FixPreview, runSmoke: RunSmoke): Promise<void> {
  if (untrusted()) return;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Smoke Repair: planning, validating and applying safe fixes…' },
    async () => RepairFailuresCommand.resultSchema.safeParse(await execute(client, RepairFailuresCommand.id, [])),
  );
  if (!result.success) {
    void vscode.window.showErrorMessage('Smoke Repair: the repair failed. See the output for details.');
    return;
  }
  const r = result.data;
  if (!r.ok) {
    void vscode.window.showWarningMessage(`Smoke Repair: ${r.message}`);
    return;
  }
  let applied = r.applied.length;
  for (const item of r.needsReview) {
    for (;;) {
      const choice = await vscode.window.showWarningMessage(
        `${item.title}`,
        { modal: true, detail: `This fix needs review:\n${item.reasons.join('\n')}` },
        'Preview',
        'Apply',
        'Skip',
      );
      if (choice === 'Preview') {
        await preview.show(item.fixId);
        continue;
      }
      if (choice === 'Apply') {
        const done = await applyFix(client, item.fixId, true);
        if (done?.ok) applied++;
      }
      break;
    }
  }
  if (applied === 0) {
    void vscode.window.showInformationMessage(`Smoke Repair: no fix was applied. ${r.skipped.map((s) => `${s.violationId}: ${s.reason}`).join('; ')}`);
    return;
  }
  const after = await runSmoke();
  const pct = (n: number) => `${Math.round(n * 100)}%`;
  const passAfter = after?.ok ? pct(after.passRate) : 'unknown';
  void vscode.window.showInformationMessage(`Smoke Repair: ${applied} fix(es) applied; pass rate ${pct(r.passRateBefore)} → ${passAfter}.`);
}

export async function rollbackLastFix(client: SmokeLanguageClient, runSmoke: RunSmoke): Promise<void> {
  if (untrusted()) return;
  let parsed = RollbackLastFixCommand.resultSchema.safeParse(await execute(client, RollbackLastFixCommand.id, []));
  if (parsed.success && !parsed.data.ok && parsed.data.code === 'changedSince') {
    const yes = await vscode.window.showWarningMessage(
      `Smoke Repair: ${parsed.data.changed.join(', ')} changed since the fix was applied.`,
      { modal: true, detail: 'Rolling back restores the files as they were before the fix and loses those changes.' },
      'Roll Back Anyway',
    );
    if (yes !== 'Roll Back Anyway') return;
    parsed = RollbackLastFixCommand.resultSchema.safeParse(await execute(client, RollbackLastFixCommand.id, [{ force: true }]));
  }
  if (!parsed.success) {
    void vscode.window.showErrorMessage('Smoke Repair: the rollback failed. See the output for details.');
    return;
  }
  const r = parsed.data;
  if (!r.ok) {
    void vscode.window.showWarningMessage(`Smoke Repair: ${r.message}`);
    return;
  }
  void vscode.window.setStatusBarMessage(`Smoke Repair: restored ${[...r.restored, ...r.deleted].join(', ')}`, 5000);
  await runSmoke();
}

export function registerRepairCommands(client: SmokeLanguageClient, preview: FixPreview, runSmoke: RunSmoke): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(CommandIds.previewFix, (arg?: { fixId?: string } | string) => {
      const fixId = typeof arg === 'string' ? arg : arg?.fixId;
      if (fixId) return preview.show(fixId);
      return undefined;
    }),
    vscode.commands.registerCommand(CommandIds.applyFix, (arg?: { fixId?: string; confirmed?: boolean } | string) => {
      const fixId = typeof arg === 'string' ? arg : arg?.fixId;
      return fixId ? applyFix(client, fixId, typeof arg === 'object' && arg?.confirmed === true) : undefined;
    }),
    vscode.commands.registerCommand(CommandIds.repairFailures, () => repairFailures(client, preview, runSmoke)),
    vscode.commands.registerCommand(CommandIds.rollbackLastFix, () => rollbackLastFix(client, runSmoke)),
  ];
}
