/**
 * An editor stand-in for language server tests: spawns `dist/server.js --stdio`, speaks LSP to it
 * over stdio and records what the server sends (diagnostics, progress, messages, log lines, run and
 * planning notifications). Tests add their own handlers (say `smokeRepair/llmChat`) with
 * `conn.onRequest`. It keeps open buffers with versions, applies `workspace/applyEdit` to
 * them (or to disk for files not open) and saves buffers to disk on `smokeRepair/saveDocuments`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type CodeAction,
  type Diagnostic,
  type InitializeResult,
  type ProtocolConnection,
  type TextDocumentEdit,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { applyTextEdits } from '../../server/src/lsp/minimalEdits';
import { FixesPlannedNotification, RunFinishedNotification, RunSmokeCommand, SERVER_NODE_FLAGS } from '../../server/src/protocol';

export const projectRoot = path.resolve(import.meta.dirname, '../..');
export const serverJs = path.join(projectRoot, 'dist/server.js');

export interface Progress {
  token: string | number;
  value: { kind: 'begin' | 'report' | 'end'; title?: string; message?: string; percentage?: number };
}

/** What a code-action-capable editor announces; `workspaceEdit` may be narrowed per test. */
export function editorCapabilities(workspaceEdit: NonNullable<ClientCapabilities['workspace']>['workspaceEdit'] = {
  documentChanges: true,
  resourceOperations: ['create', 'delete'],
  changeAnnotationSupport: { groupsOnLabel: true },
}): ClientCapabilities {
  return {
    window: { workDoneProgress: true },
    workspace: { workspaceFolders: true, applyEdit: true, workspaceEdit },
    textDocument: {
      synchronization: { dynamicRegistration: false },
      publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, dataSupport: true },
      codeAction: {
        codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll'] } },
        isPreferredSupport: true,
        disabledSupport: true,
        dataSupport: true,
        resolveSupport: { properties: ['edit'] },
      },
    },
  };
}

export interface LspEditorOptions {
  /** Sent in `initialize`; default {@link editorCapabilities}(). */
  capabilities?: ClientCapabilities;
  /** The server process's environment; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** node flags before the server script; default those the editor uses (SERVER_NODE_FLAGS). */
  nodeArgs?: string[];
  /** `until`: default time limit (60 s), poll interval (50 ms), log lines shown on timeout (30). */
  untilMs?: number;
  pollMs?: number;
  logTail?: number;
  /** `close`: how long to wait for the shutdown answer (2 s) and for the process to exit (3 s). */
  shutdownMs?: number;
  exitMs?: number;
}

export class LspEditor {
  readonly diagnostics = new Map<string, Diagnostic[]>();
  /** Every `publishDiagnostics`, in order. */
  readonly published: Array<{ uri: string; diagnostics: Diagnostic[] }> = [];
  readonly progress: Progress[] = [];
  /** Tokens of `window/workDoneProgress/create`. */
  readonly created: Array<string | number> = [];
  /** `window/showMessage`. */
  readonly messages: Array<{ type: number; message: string }> = [];
  readonly started: unknown[] = [];
  readonly finished: unknown[] = [];
  readonly planned: FixesPlannedNotification.Params[] = [];
  readonly applied: WorkspaceEdit[] = [];
  readonly saved: string[] = [];
  /** stderr, `window/logMessage` and `window/showMessage` lines. */
  readonly log: string[] = [];
  readonly buffers = new Map<string, { text: string; version: number }>();
  readonly conn: ProtocolConnection;
  readonly child: ChildProcess;
  private readonly opts: LspEditorOptions;

  constructor(opts: LspEditorOptions = {}) {
    this.opts = opts;
    this.child = spawn(process.execPath, [...(opts.nodeArgs ?? SERVER_NODE_FLAGS), serverJs, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], ...(opts.env ? { env: opts.env } : {}) });
    this.child.stderr!.on('data', (d) => this.log.push(String(d)));
    this.conn = createProtocolConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.conn.onRequest('window/workDoneProgress/create', (p: { token: string | number }) => {
      this.created.push(p.token);
      return null;
    });
    this.conn.onNotification('$/progress', (p: Progress) => void this.progress.push(p));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diagnostic[] }) => {
      this.published.push(p);
      this.diagnostics.set(p.uri, p.diagnostics);
    });
    this.conn.onNotification('window/showMessage', (p: { type: number; message: string }) => {
      this.messages.push(p);
      this.log.push(p.message);
    });
    this.conn.onNotification('window/logMessage', (p: { message: string }) => void this.log.push(p.message));
    this.conn.onNotification('smokeRepair/runStarted', (p: unknown) => void this.started.push(p));
    this.conn.onNotification(RunFinishedNotification.method, (p: unknown) => void this.finished.push(p));
    this.conn.onNotification(FixesPlannedNotification.method, (p: FixesPlannedNotification.Params) => void this.planned.push(p));
    this.conn.onRequest('workspace/applyEdit', (p: { edit: WorkspaceEdit }) => this.applyEdit(p.edit) as Promise<{ applied: boolean; failureReason: string }>);
    this.conn.onRequest('smokeRepair/saveDocuments', (p: { uris: string[] }) => {
      for (const uri of p.uris) {
        const b = this.buffers.get(uri);
        if (b) writeFileSync(fileURLToPath(uri), b.text);
        this.saved.push(uri);
      }
      return { saved: p.uris, failed: [] };
    });
    this.conn.listen();
  }

  /** `initialize` with the workspace folder, then `initialized`. */
  async initialize(folder: string): Promise<InitializeResult> {
    const uri = pathToFileURL(folder).href;
    const result = await this.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: uri,
      workspaceFolders: [{ uri, name: path.basename(folder) }],
      capabilities: this.opts.capabilities ?? editorCapabilities(),
    });
    await this.conn.sendNotification('initialized', {});
    return result as InitializeResult;
  }

  /** Opens a buffer: `text` or the file's contents on disk. */
  async open(uri: string, version: number, doc: { languageId?: string; text?: string } = {}): Promise<void> {
    const text = doc.text ?? readFileSync(fileURLToPath(uri), 'utf8');
    this.buffers.set(uri, { text, version });
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: doc.languageId ?? 'python', version, text } });
  }

  /** Replaces an open buffer's text; its version goes up by one. */
  async change(uri: string, text: string): Promise<void> {
    const b = this.buffers.get(uri)!;
    b.text = text;
    b.version++;
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: b.version }, contentChanges: [{ text }] });
  }

  async closeDocument(uri: string): Promise<void> {
    this.buffers.delete(uri);
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  /** The code actions over the whole document (lines 0-1000) with its current diagnostics. */
  actions(uri: string, only?: string[]): Promise<CodeAction[]> {
    const diagnostics = this.diagnostics.get(uri) ?? [];
    const end = { line: 1000, character: 0 };
    return this.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end },
      context: { diagnostics, ...(only ? { only } : {}) },
    }) as Promise<CodeAction[]>;
  }

  resolve(action: CodeAction): Promise<CodeAction> {
    return this.conn.sendRequest('codeAction/resolve', action) as Promise<CodeAction>;
  }

  command(command: string, args: unknown[] = []): Promise<unknown> {
    return this.conn.sendRequest('workspace/executeCommand', { command, arguments: args });
  }

  async runSmoke(): Promise<RunSmokeCommand.Result> {
    return RunSmokeCommand.resultSchema.parse(await this.command(RunSmokeCommand.id));
  }

  /** Polls until `check` gives a truthy value (messages may still be in flight), failing after `ms`. */
  async until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = this.opts.untilMs ?? 60_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}\nserver log:\n${this.log.slice(-(this.opts.logTail ?? 30)).join('\n')}`);
      await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 50));
    }
  }

  /** shutdown, exit; kills the server if it has not exited in time. */
  async close(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, this.opts.shutdownMs ?? 2000))]);
      await this.conn.sendNotification('exit');
    } catch {
      /* the process may already be gone */
    }
    await Promise.race([new Promise((r) => this.child.once('exit', r)), new Promise((r) => setTimeout(r, this.opts.exitMs ?? 3000))]);
    if (this.child.exitCode === null) this.child.kill();
    this.conn.dispose();
  }

  private async applyEdit(edit: WorkspaceEdit): Promise<{ applied: boolean; failureReason?: string }> {
    this.applied.push(edit);
    for (const change of edit.documentChanges ?? []) {
      if (!('textDocument' in change)) return { applied: false, failureReason: 'resource operations are not expected here' };
      const uri = change.textDocument.uri;
      const b = this.buffers.get(uri);
      if (b && change.textDocument.version !== null && change.textDocument.version !== b.version) {
        return { applied: false, failureReason: `version mismatch for ${uri}: ${change.textDocument.version} ≠ ${b.version}` };
      }
    }
    for (const change of edit.documentChanges ?? []) {
      const c = change as TextDocumentEdit;
      const uri = c.textDocument.uri;
      const b = this.buffers.get(uri);
      if (b) await this.change(uri, applyTextEdits(b.text, c.edits as TextEdit[]));
      else writeFileSync(fileURLToPath(uri), applyTextEdits(readFileSync(fileURLToPath(uri), 'utf8'), c.edits as TextEdit[]));
    }
    return { applied: true };
  }
}

/** Builds `dist/server.js` (`node esbuild.mjs`), failing with the build's output. */
export function buildServer(): void {
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: projectRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, `build failed:\n${build.stdout}\n${build.stderr}`);
}

export interface ScenarioLines {
  name: string;
  method: string;
  path: string;
  /** Omitted: no `expect` line. */
  status?: number;
}

/**
 * smoke-repair.yaml for a Python app the engine starts as `python3 -u app/main.py` on `port`:
 * `sections` go between `smoke` and `scenarios`, `trailer` after the scenarios.
 */
export function processAppConfig(
  port: number,
  o: { start?: boolean; concurrency: number; scenarios: ScenarioLines[]; sections?: string[]; trailer?: string[] },
): string {
  const lines = [
    'version: 1',
    'app:',
    `  baseUrl: http://127.0.0.1:${port}`,
    '  health: /health',
    '  healthTimeoutMs: 15000',
    '  process:',
    '    command: python3 -u app/main.py',
    `    env: { PORT: "${port}" }`,
    `    start: ${o.start ?? true}`,
    'smoke:',
    `  concurrency: ${o.concurrency}`,
    '  retries: 0',
    ...(o.sections ?? []),
    'scenarios:',
  ];
  for (const s of o.scenarios) {
    lines.push(`  - name: ${s.name}`, `    request: { method: ${s.method}, path: ${s.path} }`);
    if (s.status !== undefined) lines.push(`    expect: { status: ${s.status} }`);
  }
  lines.push(...(o.trailer ?? []));
  return `${lines.join('\n')}\n`;
}
