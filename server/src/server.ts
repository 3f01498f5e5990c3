/**
 * The Smoke Repair language server: a thin adapter from LSP to the engine.
 * Runs over stdio (`--stdio`, the default), publishes one diagnostic per smoke-test violation,
 * checks `smoke-repair.yaml` live, and answers the custom requests of ./protocol.
 */
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
  type InitializeResult,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver/node';
import { renderViolationReport, runSmoke } from './engine';
import { parseConfigText } from './engine/config';
import {
  CONFIG_FILE_NAME,
  InitializationOptions,
  ReportRequest,
  RunFinishedNotification,
  RunSmokeCommand,
  RunStartedNotification,
} from './protocol';
import { configErrorsToDiagnostics } from './lsp/configDiagnostics';
import { DiagnosticStore } from './lsp/diagnosticStore';
import { configOwner, SmokeRunner, type WorkspaceFolderRef } from './lsp/smokeRunner';
import { fileUri } from './lsp/violationDiagnostic';

if (!process.argv.slice(2).some((a) => /^--(stdio|node-ipc|socket|pipe)/.test(a))) process.argv.push('--stdio');

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const store = new DiagnosticStore((uri, diagnostics) => void connection.sendDiagnostics({ uri, diagnostics }));

let folders: WorkspaceFolderRef[] = [];
let options: InitializationOptions.Type = { commandsInClient: [] };
let workDoneProgressSupported = false;

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

const runner = new SmokeRunner(
  {
    engine: { runSmoke, renderViolationReport },
    store,
    started: (params) => void connection.sendNotification(RunStartedNotification.method, params),
    finished: (params) => void connection.sendNotification(RunFinishedNotification.method, params),
    showError: (message) => void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Error, message }),
    log,
    openText,
    configAccepted: (configUri) => {
      const doc = documents.get(configUri);
      if (doc) checkConfigDocument(doc);
      else store.clear(configOwner(configUri));
    },
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
    const diagnostics = result.ok ? [] : configErrorsToDiagnostics(result.errors, (l) => lines[l]);
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
  const serverCommands = [RunSmokeCommand.id].filter((c) => !options.commandsInClient.includes(c));
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
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

connection.onExecuteCommand(async (params, token) => {
  if (params.command !== RunSmokeCommand.id) {
    throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${params.command}; this server runs ${RunSmokeCommand.id}`);
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
  let reporter: WorkDoneProgressReporter | undefined;
  if (params.workDoneToken !== undefined) {
    reporter = connection.window.attachWorkDoneProgress(params.workDoneToken);
  } else if (workDoneProgressSupported) {
    try {
      const created = await connection.window.createWorkDoneProgress();
      created.token.onCancellationRequested(() => controller.abort());
      reporter = created;
    } catch (err) {
      log(`work-done progress not available: ${(err as Error)?.message ?? String(err)}`);
    }
  }
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

connection.onRequest(ReportRequest.method, (params: unknown): ReportRequest.Result => {
  const parsed = ReportRequest.paramsSchema.safeParse(params);
  if (!parsed.success) {
    throw new ResponseError(ErrorCodes.InvalidParams, `${ReportRequest.method} expects { folderUri, violationId }: ${parsed.error.issues[0]?.message}`);
  }
  return { markdown: runner.renderReport(parsed.data.folderUri, parsed.data.violationId) };
});

process.on('uncaughtException', (err) => log(`uncaught: ${err?.stack ?? String(err)}`));
process.on('unhandledRejection', (err) => log(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`));

documents.listen(connection);
connection.listen();
