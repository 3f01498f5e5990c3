import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { CommandIds, CONFIG_FILE_NAME, SERVER_NODE_FLAGS, type InitializationOptions } from '../../server/src/protocol';

export const CLIENT_ID = 'smokeRepair';
const CLIENT_NAME = 'Smoke Repair';

/** The configured config file name (setting `smokeRepair.configFile`). */
export function configuredConfigFile(): string {
  const value = vscode.workspace.getConfiguration('smokeRepair').get<string>('configFile');
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : CONFIG_FILE_NAME;
}

/**
 * Owns the language client: starts the bundled server (`dist/server.js`) over stdio,
 * restarts it, and tells listeners when it is ready or stopped.
 */
export class SmokeLanguageClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly readyEmitter = new vscode.EventEmitter<boolean>();
  /** Fires true when the server is running and initialized, false when it stopped. */
  readonly onDidChangeReady = this.readyEmitter.event;
  private readonly hooks: Array<(client: LanguageClient) => void> = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly output: vscode.LogOutputChannel,
  ) {}

  get current(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  /** Registers a hook run on every (re)started client, e.g. to add notification handlers. */
  onClient(hook: (client: LanguageClient) => void): void {
    this.hooks.push(hook);
    if (this.client) hook(this.client);
  }

  async start(): Promise<LanguageClient | undefined> {
    if (this.client) return this.current;
    const module = this.context.asAbsolutePath(path.join('dist', 'server.js'));
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.stdio, options: { execArgv: [...SERVER_NODE_FLAGS] } },
      debug: { module, transport: TransportKind.stdio, options: { execArgv: [...SERVER_NODE_FLAGS, '--nolazy', '--inspect=6011'] } },
    };
    const configFile = configuredConfigFile();
    const configGlob = `**/${path.posix.basename(configFile.replace(/\\/g, '/'))}`;
    const initializationOptions: InitializationOptions.Type = {
      commandsInClient: [CommandIds.runSmoke, CommandIds.applyFix, CommandIds.repairFailures, CommandIds.rollbackLastFix, CommandIds.startRepairLoop],
      configFile,
    };
    const clientOptions: LanguageClientOptions = {
      // Every file: smoke failures land in any source file, and their fixes are pinned to the
      // versions of the open documents (the server checks the config file by name).
      documentSelector: [{ scheme: 'file' }],
      synchronize: {
        fileEvents: [
          vscode.workspace.createFileSystemWatcher(configGlob),
          vscode.workspace.createFileSystemWatcher('**/{docker-compose,compose}*.{yml,yaml}'),
          vscode.workspace.createFileSystemWatcher('**/{Dockerfile,Dockerfile.*,*.Dockerfile}'),
        ],
      },
      initializationOptions,
      outputChannel: this.output,
      revealOutputChannelOn: 4 /* RevealOutputChannelOn.Never */,
      initializationFailedHandler: (error) => {
        this.output.error(`The Smoke Repair server failed to start: ${error instanceof Error ? error.message : String(error)}`);
        this.output.show(true);
        void vscode.window.showErrorMessage('Smoke Repair: the language server failed to start. See the output for details.');
        return false;
      },
    };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.readyEmitter.fire(true);
      else if (e.newState === State.Stopped) this.readyEmitter.fire(false);
    });
    for (const hook of this.hooks) hook(client);
    try {
      await client.start();
    } catch (err) {
      this.output.error(`Starting the server failed: ${err instanceof Error ? err.message : String(err)}`);
      this.client = undefined;
      return undefined;
    }
    return this.current;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop();
      } catch (err) {
        this.output.warn(`Stopping the server: ${err instanceof Error ? err.message : String(err)}`);
      }
      await client.dispose().catch(() => undefined);
    }
    this.readyEmitter.fire(false);
  }

  async restart(): Promise<LanguageClient | undefined> {
    await this.stop();
    return this.start();
  }

  dispose(): void {
    void this.stop();
    this.readyEmitter.dispose();
  }
}
