/**
 * The Smoke Repair language server: a thin adapter from LSP to the engine.
 * Runs over stdio (`--stdio`, the default), publishes one diagnostic per smoke-test violation,
 * checks `smoke-repair.yaml` live, and answers the custom requests of ./protocol.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  createConnection,
  ProposedFeatures,
  ResponseError,
  ErrorCodes,
  MessageType,
  ShowMessageNotification,
  TextDocuments,
  TextDocumentSyncKind,
  CodeActionKind,
  DiagnosticSeverity,
  type CodeAction,
  type InitializeResult,
  type CancellationToken,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver/node';
import { renderViolationReport, runSmoke } from './engine';
import { parseConfigText } from './engine/config';
import { closePythonHelpers, closePythonNameHelpers } from './engine/imports';
import { repairLoop } from './engine/loop';
import { readHistory, recordDiff } from './lsp/history';
import { approvalDiff, approvalItem, readApprovals } from './lsp/approvals';
import { ApprovalError, approverName, decideApproval, type Approval } from './engine/approvals';
import { repairOnce } from './engine/repair';
import { madeValidationContainers, removeValidationLeftovers } from './engine/validate';
import {
  ApplyFixCommand,
  CONFIG_FILE_NAME,
  FIX_ALL_KIND,
  FixAppliedCommand,
  FixDetailsRequest,
  FixesPlannedNotification,
  InitializationOptions,
  LlmCredentialsNotification,
  PatchedTextRequest,
  RepairFailuresCommand,
  StartRepairLoopCommand,
  ApprovalsChangedNotification,
  ApprovalsRequest,
  DecideApprovalCommand,
  HistoryRequest,
  HistoryChangedNotification,
  RecordDiffRequest,
  ReportRequest,
  RollbackLastFixCommand,
  RunFinishedNotification,
  RunSmokeCommand,
  RunStartedNotification,
  SaveDocumentsRequest,
} from './protocol';
import { PendingReloads } from './lsp/appReload';
import { listCodeActions, parseActionData } from './lsp/codeActions';
import { FixCache } from './lsp/fixCache';
import { BackgroundPlanner } from './lsp/fixPlanner';
import { chatSender, EditorLlm } from './lsp/llm';
import { FixService } from './lsp/repairCommands';
import type { EditCapabilities } from './lsp/workspaceEdits';
import { configErrorsToDiagnostics } from './lsp/configDiagnostics';
import { DiagnosticStore } from './lsp/diagnosticStore';
import { configOwner, SmokeRunner, type WorkspaceFolderRef } from './lsp/smokeRunner';
import { HandFixWatcher } from './lsp/handFixes';
import { fileUri } from './lsp/violationDiagnostic';

if (!process.argv.slice(2).some((a) => /^--(stdio|node-ipc|socket|pipe)/.test(a))) process.argv.push('--stdio');

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const store = new DiagnosticStore((uri, diagnostics) => void connection.sendDiagnostics({ uri, diagnostics }));

let folders: WorkspaceFolderRef[] = [];
let options: InitializationOptions.Type = { commandsInClient: [] };
let workDoneProgressSupported = false;
let fixAllSupported = false;
let resolveSupported = false;
let editCaps: EditCapabilities = { documentChanges: false, changeAnnotations: false, create: false, delete: false };

const log = (message: string) => connection.console.log(message);

function toFolder(uri: string): WorkspaceFolderRef | undefined {
  try {
    return { uri, path: fileURLToPath(uri) };
  } catch {
    log(`ignoring workspace folder that is not on disk: ${uri}`);
    return undefined;
  }
}

function pathOf(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

function openText(absolutePath: string): string | undefined {
  return documents.get(fileUri(absolutePath))?.getText();
}

/** The LLM planner's editor side: the API key from the client's secret store and the editor's language model. */
const editorLlm = new EditorLlm({ log, send: chatSender(connection) });
connection.onNotification(LlmCredentialsNotification.method, (params: unknown) => editorLlm.setCredentials(params));

const fixCache = new FixCache();
const reloads = new PendingReloads(log);
const planner = new BackgroundPlanner({
  cache: fixCache,
  log,
  planners: (config) => editorLlm.planners(config),
  progress: async (title) => {
    if (!workDoneProgressSupported) return undefined;
    try {
      const p = await connection.window.createWorkDoneProgress();
      p.begin(title, 0, undefined, false);
      return { report: (message, percentage) => p.report(percentage, message), done: () => p.done() };
    } catch {
      return undefined;
    }
  },
  planned: (params: FixesPlannedNotification.Params) => void connection.sendNotification(FixesPlannedNotification.method, params),
});
const fixes = new FixService(fixCache, planner, {
  docs: (uri) => {
    const d = documents.get(uri);
    return d ? { text: d.getText(), version: d.version } : undefined;
  },
  caps: () => editCaps,
  applyEdit: async (label, edit) => {
    const r = await connection.workspace.applyEdit({ label, edit });
    return { applied: r.applied, failureReason: r.failureReason };
  },
  saveDocuments: async (uris) => {
    const raw = await connection.sendRequest(SaveDocumentsRequest.method, { uris } satisfies SaveDocumentsRequest.Params);
    const parsed = SaveDocumentsRequest.resultSchema.safeParse(raw);
    return parsed.success ? parsed.data : undefined;
  },
  log,
  changed: (folderUri, files) => reloads.note(folderUri, files),
});

/** A person's fixes between two smoke runs: asked about (or learned, or left) as `learning.handEdits` says. */
const handFixes = new HandFixWatcher({
  ask: async (message, answers) => (await connection.window.showInformationMessage(message, ...answers.map((title) => ({ title }))))?.title,
  info: (message) => void connection.window.showInformationMessage(message),
  log,
  learned: (folderPath) => patternsLearned(folderPath),
});

/** Patterns changed in a folder (the Learned Patterns view listens). */
function patternsLearned(folderPath: string): void {
  log(`${folderPath}: patterns learned`);
}

const runner = new SmokeRunner(
  {
    engine: { runSmoke, renderViolationReport },
    store,
    started: (params) => void connection.sendNotification(RunStartedNotification.method, params),
    finished: (params) => void connection.sendNotification(RunFinishedNotification.method, params),
    showError: (message) => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Error, message }),
    showWarning: (message) => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message }),
    log,
    openText,
    configAccepted: (configUri) => {
      const doc = documents.get(configUri);
      if (doc) checkConfigDocument(doc);
      else void recheckFromDisk(configUri);
    },
    prepare: (folder, configFile, progress, signal) => reloads.beforeRun(folder, configFile, progress, signal),
    reportReady: (folder, report, configFile) => void planner.start(folder, report, configFile),
    settle: async (folder, report, configFile) => void (await handFixes.observe(folder.path, report, configFile)),
  },
  CONFIG_FILE_NAME,
);

/** Whether a document is a config file this server checks live. */
function isConfigDocument(uri: string): boolean {
  const p = pathOf(uri);
  if (!p) return false;
  if (folders.some((f) => runner.configPathOf(f) === p)) return true;
  return path.basename(p) === path.basename(options.configFile ?? CONFIG_FILE_NAME);
}

function checkConfigDocument(doc: TextDocument): void {
  if (!isConfigDocument(doc.uri)) return;
  const file = pathOf(doc.uri) ?? doc.uri;
  try {
    const result = parseConfigText(doc.getText(), file);
    const lines = doc.getText().split(/\r?\n/);
    // A valid file may still hold a credential written into it: a warning where it stands.
    const diagnostics = result.ok
      ? configErrorsToDiagnostics(result.warnings, (l) => lines[l], DiagnosticSeverity.Warning)
      : configErrorsToDiagnostics(result.errors, (l) => lines[l]);
    store.replace(configOwner(doc.uri), new Map([[doc.uri, diagnostics]]));
  } catch (err) {
    log(`checking ${file} failed: ${(err as Error)?.stack ?? String(err)}`);
  }
}

connection.onInitialize((params): InitializeResult => {
  const parsed = InitializationOptions.schema.safeParse(params.initializationOptions ?? undefined);
  if (parsed.success) options = parsed.data;
  else log(`ignoring invalid initializationOptions: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  if (options.configFile) runner.setConfigFile(options.configFile);

  const given = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  folders = given.map(toFolder).filter((f): f is WorkspaceFolderRef => f !== undefined);

  const caps = params.capabilities;
  workDoneProgressSupported = caps.window?.workDoneProgress === true;
  const actionCaps = caps.textDocument?.codeAction;
  const kinds = actionCaps?.codeActionLiteralSupport?.codeActionKind.valueSet ?? [];
  fixAllSupported = kinds.some((k) => k === CodeActionKind.Source || k === CodeActionKind.SourceFixAll || k === FIX_ALL_KIND);
  resolveSupported = actionCaps?.resolveSupport?.properties.includes('edit') === true;
  const wsEdit = caps.workspace?.workspaceEdit;
  editCaps = {
    documentChanges: wsEdit?.documentChanges === true,
    changeAnnotations: wsEdit?.changeAnnotationSupport !== undefined,
    create: wsEdit?.resourceOperations?.includes('create') === true,
    delete: wsEdit?.resourceOperations?.includes('delete') === true,
  };
  const serverCommands = [RunSmokeCommand.id, ApplyFixCommand.id, FixAppliedCommand.id, RepairFailuresCommand.id, RollbackLastFixCommand.id, StartRepairLoopCommand.id, DecideApprovalCommand.id].filter(
    (c) => !options.commandsInClient.includes(c),
  );
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      ...(actionCaps?.codeActionLiteralSupport
        ? { codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, ...(fixAllSupported ? [FIX_ALL_KIND] : [])], resolveProvider: true } }
        : {}),
      executeCommandProvider: { commands: serverCommands },
      ...(caps.workspace?.workspaceFolders ? { workspace: { workspaceFolders: { supported: true, changeNotifications: true } } } : {}),
    },
    serverInfo: { name: 'smoke-repair', version: '0.1.0' },
  };
});

connection.onInitialized(() => {
  connection.workspace.onDidChangeWorkspaceFolders?.((e) => {
    const removed = new Set(e.removed.map((f) => f.uri));
    folders = folders.filter((f) => !removed.has(f.uri));
    for (const f of e.added) {
      const ref = toFolder(f.uri);
      if (ref) folders.push(ref);
    }
  });
});

documents.onDidChangeContent((e) => checkConfigDocument(e.document));

/** A config file changed on disk (the client watches it): re-check it unless an editor holds it. */
async function recheckFromDisk(uri: string): Promise<void> {
  if (!isConfigDocument(uri) || documents.get(uri)) return;
  const p = pathOf(uri);
  if (!p) return;
  try {
    const text = await readFile(p, 'utf8');
    checkConfigDocument(TextDocument.create(uri, 'yaml', 0, text));
  } catch {
    store.clear(configOwner(uri));
  }
}

connection.onDidChangeWatchedFiles((e) => {
  for (const change of e.changes) {
    if (isConfigDocument(change.uri)) void recheckFromDisk(change.uri);
    else log(`changed: ${change.uri} (takes effect at the next smoke run)`);
  }
});

// The buffer may have held unsaved edits: check what is on disk now.
documents.onDidClose((e) => void recheckFromDisk(e.document.uri));

connection.onCodeAction(async (params): Promise<CodeAction[]> => {
  const actions = listCodeActions(params, {
    cache: fixCache,
    fixAllSupported,
    publishedFor: (uri) => store.union(uri),
    relativePath: (folderUri, uri) => {
      const folder = pathOf(folderUri);
      const file = pathOf(uri);
      if (!folder || !file) return undefined;
      const rel = path.relative(folder, file);
      return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel.split(path.sep).join('/');
    },
  });
  if (resolveSupported) return actions;
  // A client that cannot resolve gets the edits now (listing is then no longer cheap).
  return Promise.all(
    actions.map(async (a) => {
      const data = parseActionData(a);
      return data && data.action !== 'preview' && !a.disabled ? fixes.resolve(a, data) : a;
    }),
  );
});

connection.onCodeActionResolve(async (action) => {
  const data = parseActionData(action);
  if (!data) return action;
  try {
    return await fixes.resolve(action, data);
  } catch (err) {
    log(`resolving a code action failed: ${(err as Error)?.stack ?? String(err)}`);
    return { ...action, disabled: { reason: `the fix could not be prepared: ${(err as Error)?.message ?? String(err)}` } };
  }
});

connection.onRequest(FixDetailsRequest.method, (params: unknown): FixDetailsRequest.Result => {
  const parsed = FixDetailsRequest.paramsSchema.safeParse(params);
  if (!parsed.success) throw new ResponseError(ErrorCodes.InvalidParams, `${FixDetailsRequest.method} expects { fixId }: ${parsed.error.issues[0]?.message}`);
  const details = fixes.details(parsed.data.fixId);
  if (!details) throw new ResponseError(ErrorCodes.InvalidParams, `no fix "${parsed.data.fixId}": run the smoke tests again`);
  return details;
});

connection.onRequest(PatchedTextRequest.method, (params: unknown): PatchedTextRequest.Result => {
  const parsed = PatchedTextRequest.paramsSchema.safeParse(params);
  if (!parsed.success) throw new ResponseError(ErrorCodes.InvalidParams, `${PatchedTextRequest.method} expects { fixId, file }: ${parsed.error.issues[0]?.message}`);
  const text = fixes.patchedText(parsed.data.fixId, parsed.data.file);
  if (text === undefined) throw new ResponseError(ErrorCodes.InvalidParams, `fix "${parsed.data.fixId}" does not change ${parsed.data.file}`);
  return { text };
});

/** The folder a repair command is about: the one named, else the only folder with a config file. */
function commandFolder(folderUri: string | undefined): WorkspaceFolderRef | undefined {
  if (folderUri) return toFolder(folderUri);
  const withConfig = runner.foldersWithConfig(folders);
  return withConfig.find((f) => planner.report(f.uri)) ?? withConfig[0];
}

function badArgs(command: string, issue: string | undefined): never {
  throw new ResponseError(ErrorCodes.InvalidParams, `${command}: invalid arguments: ${issue ?? 'unknown problem'}`);
}

/** Tell the client a folder's Repair History changed. */
function historyChanged(folderUri: string): void {
  void connection.sendNotification(HistoryChangedNotification.method, { folderUri } satisfies HistoryChangedNotification.Params);
}

/** Tell the client approvals were opened (they wait for a person now) or decided. */
function approvalsChanged(folderUri: string, opened: readonly Approval[]): void {
  void connection.sendNotification(ApprovalsChangedNotification.method, { folderUri, opened: opened.map(approvalItem) } satisfies ApprovalsChangedNotification.Params);
}

/** Work-done progress for a long command: the client's token, else one the server creates (cancellable). */
async function commandProgress(workDoneToken: string | number | undefined, controller: AbortController): Promise<WorkDoneProgressReporter | undefined> {
  if (workDoneToken !== undefined) return connection.window.attachWorkDoneProgress(workDoneToken);
  if (!workDoneProgressSupported) return undefined;
  try {
    const created = await connection.window.createWorkDoneProgress();
    created.token.onCancellationRequested(() => controller.abort());
    return created;
  } catch (err) {
    log(`work-done progress not available: ${(err as Error)?.message ?? String(err)}`);
    return undefined;
  }
}

let loopRunning = false;

async function startRepairLoop(raw: unknown[], token: CancellationToken, workDoneToken: string | number | undefined): Promise<StartRepairLoopCommand.Result> {
  const args = StartRepairLoopCommand.argsSchema.safeParse(raw);
  if (!args.success) badArgs(StartRepairLoopCommand.id, args.error.issues[0]?.message);
  const folder = commandFolder(args.data[0]?.folderUri);
  if (!folder) return { ok: false, message: 'No workspace folder has a Smoke Repair config file.' };
  if (loopRunning) return { ok: false, message: 'A repair loop is already running; cancel it or wait for it to end.' };
  if (runner.busy) return { ok: false, message: 'A smoke run is in progress; try again when it is done.' };
  loopRunning = true;
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  const reporter = await commandProgress(workDoneToken, controller);
  reporter?.begin('Repair loop', 0, 'starting', true);
  let last = 0;
  try {
    const { record } = await repairLoop({
      workspace: folder.path,
      apply: 'safe',
      signal: controller.signal,
      ...(args.data[0]?.target !== undefined ? { target: args.data[0].target } : {}),
      ...(args.data[0]?.maxIterations !== undefined ? { maxIterations: args.data[0].maxIterations } : {}),
      progress: {
        report: (message, fraction) => {
          last = Math.max(last, Math.min(100, Math.round((fraction ?? 0) * 100)));
          reporter?.report(last, message);
        },
      },
      log,
      llm: (config) => editorLlm.options(config),
      onPass: (summary) => {
        historyChanged(folder.uri);
        if (summary.approvals.opened.length > 0 || summary.approvals.settled.length > 0) approvalsChanged(folder.uri, summary.approvals.opened);
      },
    });
    return {
      ok: true,
      loopId: record.id,
      stopReason: record.stopReason ?? 'cancelled',
      stopDetail: record.stopDetail ?? '',
      passRateStart: record.passRateStart ?? 0,
      passRateEnd: record.passRateEnd ?? record.passRateStart ?? 0,
      iterations: record.iterations.length,
      applied: record.iterations.reduce((n, it) => n + it.applied.length, 0),
      escalation: record.escalation ?? [],
    };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  } finally {
    reporter?.done();
    loopRunning = false;
    historyChanged(folder.uri);
  }
}

/**
 * Approve or reject a fix. The decision names the OS user and the time; an approved fix is applied
 * at once (a pass that applies approved fixes only: made again from its plan, only as the approved
 * diff; the app reloaded, smoke run), unless a repair loop is running, whose next iteration does it.
 */
async function decideApprovalCommand(raw: unknown[], token: CancellationToken, workDoneToken: string | number | undefined): Promise<DecideApprovalCommand.Result> {
  const args = DecideApprovalCommand.argsSchema.safeParse(raw);
  if (!args.success) badArgs(DecideApprovalCommand.id, args.error.issues[0]?.message);
  const { folderUri, approvalId, decision, note } = args.data[0];
  const folder = commandFolder(folderUri);
  if (!folder) return { ok: false, message: 'No workspace folder has a Smoke Repair config file.' };
  let decided: Approval;
  try {
    decided = await decideApproval(folder.path, approvalId, decision, approverName(), note);
  } catch (err) {
    if (err instanceof ApprovalError) return { ok: false, message: err.message };
    throw err;
  }
  const by = `${decision} by ${decided.decision!.by}`;
  // Nothing to apply now: a no, or a yes that the running loop (or the next repair) applies.
  const later =
    decision === 'rejected'
      ? 'it will not be applied'
      : loopRunning
        ? 'the running repair loop applies it in its next iteration'
        : runner.busy
          ? 'a smoke run is in progress, so the next repair applies it'
          : undefined;
  if (later) {
    approvalsChanged(folder.uri, []);
    return { ok: true, approval: approvalItem(decided), detail: `${by}; ${later}` };
  }
  loopRunning = true;
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  const reporter = await commandProgress(workDoneToken, controller);
  reporter?.begin('Applying the approved fix', 0, 'applying', true);
  try {
    const summary = await repairOnce({
      workspace: folder.path,
      apply: 'safe',
      onlyApproved: true,
      signal: controller.signal,
      progress: { report: (message, fraction) => reporter?.report(Math.round((fraction ?? 0) * 100), message) },
    });
    const settled = summary.approvals.settled.find((a) => a.id === decided.id) ?? decided;
    return {
      ok: true,
      approval: approvalItem(settled),
      detail: settled.outcome?.detail ?? `${by}; not applied`,
      ...(summary.smokeAgain ? { passRateAfter: summary.passRateAfter } : {}),
    };
  } catch (err) {
    return { ok: false, message: `${by}, but applying it failed: ${(err as Error).message}` };
  } finally {
    reporter?.done();
    loopRunning = false;
    historyChanged(folder.uri);
    approvalsChanged(folder.uri, []);
  }
}

async function repairCommand(command: string, raw: unknown[]): Promise<unknown> {
  switch (command) {
    case ApplyFixCommand.id: {
      const args = ApplyFixCommand.argsSchema.safeParse(raw);
      if (!args.success) badArgs(command, args.error.issues[0]?.message);
      const applied = await fixes.applyFix(args.data[0].fixId, args.data[0].confirmed);
      const folder = commandFolder(undefined);
      if (folder) historyChanged(folder.uri);
      return applied;
    }
    case FixAppliedCommand.id: {
      const args = FixAppliedCommand.argsSchema.safeParse(raw);
      if (!args.success) badArgs(command, args.error.issues[0]?.message);
      await fixes.fixApplied(args.data[0].fixIds);
      return null;
    }
    case RepairFailuresCommand.id: {
      const args = RepairFailuresCommand.argsSchema.safeParse(raw);
      if (!args.success) badArgs(command, args.error.issues[0]?.message);
      const folder = commandFolder(args.data[0]?.folderUri);
      const empty = { passRateBefore: 0, applied: [], needsReview: [], skipped: [] };
      if (!folder) return { ok: false, message: 'No workspace folder has a Smoke Repair config file.', ...empty } satisfies RepairFailuresCommand.Result;
      if (!planner.report(folder.uri)) {
        if (runner.busy) return { ok: false, message: 'A smoke run is in progress; try again when it is done.', ...empty } satisfies RepairFailuresCommand.Result;
        const ran = await runner.run([folder], { report() {} }, new AbortController().signal);
        if (!ran.ok) return { ok: false, message: ran.error.message, ...empty } satisfies RepairFailuresCommand.Result;
      }
      const repaired = await fixes.repairFailures(folder.uri, planner.report(folder.uri)?.passRate ?? 0);
      historyChanged(folder.uri);
      return repaired;
    }
    case RollbackLastFixCommand.id: {
      const args = RollbackLastFixCommand.argsSchema.safeParse(raw);
      if (!args.success) badArgs(command, args.error.issues[0]?.message);
      const folder = commandFolder(args.data[0]?.folderUri);
      if (!folder) return { ok: false, code: 'noCheckpoint', message: 'No workspace folder has a Smoke Repair config file.', changed: [] } satisfies RollbackLastFixCommand.Result;
      const undone = await fixes.rollbackLast(folder.path, folder.uri, args.data[0]?.force === true);
      historyChanged(folder.uri);
      return undone;
    }
  }
  throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${command}`);
}

const REPAIR_COMMANDS: string[] = [ApplyFixCommand.id, FixAppliedCommand.id, RepairFailuresCommand.id, RollbackLastFixCommand.id];

connection.onExecuteCommand(async (params, token) => {
  if (REPAIR_COMMANDS.includes(params.command)) return repairCommand(params.command, params.arguments ?? []);
  if (params.command === StartRepairLoopCommand.id) return startRepairLoop(params.arguments ?? [], token, params.workDoneToken);
  if (params.command === DecideApprovalCommand.id) return decideApprovalCommand(params.arguments ?? [], token, params.workDoneToken);
  if (params.command !== RunSmokeCommand.id) {
    throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${params.command}; this server runs ${[RunSmokeCommand.id, ...REPAIR_COMMANDS, StartRepairLoopCommand.id, DecideApprovalCommand.id].join(', ')}`);
  }
  const args = RunSmokeCommand.argsSchema.safeParse(params.arguments ?? []);
  if (!args.success) {
    throw new ResponseError(ErrorCodes.InvalidParams, `${RunSmokeCommand.id} takes at most one argument, a folder URI or { folderUri }: ${args.error.issues[0]?.message}`);
  }
  const arg = args.data[0];
  const folderUri = typeof arg === 'string' ? arg : arg?.folderUri;
  let targets: WorkspaceFolderRef[];
  if (folderUri) {
    const ref = toFolder(folderUri);
    targets = ref ? [ref] : [];
  } else {
    targets = runner.foldersWithConfig(folders);
  }
  if (runner.busy) return runner.run(targets, { report() {} }, new AbortController().signal);

  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  const reporter = await commandProgress(params.workDoneToken, controller);
  reporter?.begin('Smoke tests', 0, 'starting', true);
  let last = -1;
  const result = await runner.run(
    targets,
    {
      report: (message, percentage) => {
        const pct = Math.max(last, Math.min(100, Math.round(percentage)));
        last = pct;
        reporter?.report(pct, message);
      },
    },
    controller.signal,
  );
  reporter?.done();
  return result;
});

connection.onRequest(HistoryRequest.method, async (params: unknown): Promise<HistoryRequest.Result> => {
  const parsed = HistoryRequest.paramsSchema.safeParse(params ?? {});
  if (!parsed.success) throw new ResponseError(ErrorCodes.InvalidParams, `${HistoryRequest.method} expects { folderUri?, cursor?, limit? }: ${parsed.error.issues[0]?.message}`);
  const folder = commandFolder(parsed.data.folderUri);
  if (!folder) return { runs: [], total: 0, problems: [] };
  return { folderUri: folder.uri, ...(await readHistory(folder.path, parsed.data)) };
});

connection.onRequest(RecordDiffRequest.method, async (params: unknown): Promise<RecordDiffRequest.Result> => {
  const parsed = RecordDiffRequest.paramsSchema.safeParse(params);
  if (!parsed.success) throw new ResponseError(ErrorCodes.InvalidParams, `${RecordDiffRequest.method} expects { folderUri?, recordId }: ${parsed.error.issues[0]?.message}`);
  const folder = commandFolder(parsed.data.folderUri);
  const { recordId, approvalId } = parsed.data;
  if (approvalId !== undefined) {
    if (!folder) throw new ResponseError(ErrorCodes.InvalidParams, 'No workspace folder has a Smoke Repair config file.');
    try {
      return { diff: await approvalDiff(folder.path, approvalId) };
    } catch (err) {
      if (err instanceof ApprovalError) throw new ResponseError(ErrorCodes.InvalidParams, err.message);
      throw err;
    }
  }
  const diff = folder ? await recordDiff(folder.path, recordId!) : undefined;
  if (diff === undefined) throw new ResponseError(ErrorCodes.InvalidParams, `record "${recordId}" keeps no diff`);
  return { diff };
});

connection.onRequest(ApprovalsRequest.method, async (params: unknown): Promise<ApprovalsRequest.Result> => {
  const parsed = ApprovalsRequest.paramsSchema.safeParse(params ?? {});
  if (!parsed.success) throw new ResponseError(ErrorCodes.InvalidParams, `${ApprovalsRequest.method} expects { folderUri?, all? }: ${parsed.error.issues[0]?.message}`);
  const folder = commandFolder(parsed.data.folderUri);
  if (!folder) return { approvals: [], problems: [] };
  return { folderUri: folder.uri, ...(await readApprovals(folder.path, parsed.data.all)) };
});

connection.onRequest(ReportRequest.method, (params: unknown): ReportRequest.Result => {
  const parsed = ReportRequest.paramsSchema.safeParse(params);
  if (!parsed.success) {
    throw new ResponseError(ErrorCodes.InvalidParams, `${ReportRequest.method} expects { folderUri, violationId }: ${parsed.error.issues[0]?.message}`);
  }
  return { markdown: runner.renderReport(parsed.data.folderUri, parsed.data.violationId) };
});

// Validation containers must not outlive the server. A shutdown request cancels planning and
// removes them; every other way out (exit notification, input closed, parent gone, a signal) ends
// the process at once, so a detached reaper removes what is left. Leftovers of servers that died
// earlier are swept by a reaper started with this one (in its own process: the Docker client is
// only loaded here when a validation needs it).
const reaperScript = path.join(__dirname, 'reaper.js');
connection.onShutdown(async () => {
  planner.cancel();
  await closePythonHelpers();
  await closePythonNameHelpers();
  if (madeValidationContainers()) await removeValidationLeftovers();
});
process.on('exit', () => {
  if (!madeValidationContainers() || !existsSync(reaperScript)) return;
  try {
    spawn(process.execPath, [reaperScript, String(process.pid)], { detached: true, stdio: 'ignore' }).unref();
  } catch {
    /* the next server's sweep removes them */
  }
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => process.exit(0));
if (existsSync(reaperScript)) {
  try {
    const sweep = spawn(process.execPath, [reaperScript, 'sweep'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let removed = '';
    sweep.stdout.on('data', (chunk: Buffer) => void (removed += chunk.toString('utf8')));
    sweep.on('error', () => undefined);
    sweep.on('close', () => {
      const lines = removed.split('\n').filter(Boolean).map((l) => l.replace(/^removed /, ''));
      if (lines.length) log(`removed what earlier validations left behind: ${lines.join(', ')}`);
    });
  } catch {
    /* nothing swept now: the next start tries again */
  }
}

process.on('uncaughtException', (err) => log(`uncaught: ${err?.stack ?? String(err)}`));
process.on('unhandledRejection', (err) => log(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`));

documents.listen(connection);
connection.listen();
