import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { LogLine } from '../model';
import { stopProcessGroup } from '../runtime/processGroup';
import { LineSplitter, LineStore } from './lines';
import { LogSourceProblem, type LogSource, type LogSourceOptions } from './types';

/** Output lines quoted in the problem of a command that stopped. */
const TAIL_LINES = 12;

/**
 * A shell command whose output is the app's log (`docker compose logs -f --no-log-prefix api`,
 * `kubectl logs -f deploy/api`, `tail -F /var/log/app.log`). It runs from `start()` to `dispose()`
 * in a process group of its own, so dispose ends everything it started; stdout and stderr are kept
 * apart, each line with the time it arrived.
 */
export class CommandLogSource implements LogSource {
  readonly kind = 'command' as const;
  private readonly store: LineStore;
  private readonly startGraceMs: number;
  private readonly killGraceMs: number;
  private child: ChildProcess | undefined;
  private closed: Promise<void> | undefined;
  private ended: { code: number | null; signal: NodeJS.Signals | null; error?: string; noFolder?: boolean } | undefined;
  private disposing = false;

  constructor(
    readonly command: string,
    /** Absolute working folder. */
    readonly cwd: string,
    options: LogSourceOptions = {},
  ) {
    this.store = new LineStore(options.maxLines, options.maxChars);
    this.startGraceMs = options.startGraceMs ?? 500;
    this.killGraceMs = options.killGraceMs ?? 2000;
  }

  describe(): string {
    return `log command \`${this.command}\``;
  }

  /**
   * Starts the command and waits until it exits or `startGraceMs` passes: long enough for a
   * command that cannot work (unknown service, command not found) to say so before the first
   * request, so the caller can warn at once. (A first line proves nothing: `docker compose logs`
   * prints its error and then exits.) Run it alongside the app's start-up and the wait costs nothing.
   */
  async start(): Promise<void> {
    if (this.child || this.disposing || this.ended) return;
    const folder = await stat(this.cwd).catch(() => undefined);
    if (!folder?.isDirectory()) {
      this.ended = { code: null, signal: null, error: `its working folder ${this.cwd} does not exist`, noFolder: true };
      return;
    }
    const child = spawn(this.command, {
      cwd: this.cwd,
      shell: true,
      detached: process.platform !== 'win32',
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child = child;
    this.capture(child.stdout!, 'stdout');
    this.capture(child.stderr!, 'stderr');
    this.closed = new Promise<void>((resolve) => {
      // 'close' comes after the output streams ended, so the last lines are in by then.
      child.once('close', (code, signal) => {
        this.ended ??= { code, signal };
        resolve();
      });
      child.once('error', (err) => {
        this.ended = { code: null, signal: null, error: err.message };
        resolve();
      });
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.startGraceMs)))]);
    clearTimeout(timer);
  }

  async logs(since: number, until: number): Promise<LogLine[]> {
    return this.store.between(since, until);
  }

  problem(): LogSourceProblem | undefined {
    const ended = this.ended;
    if (!ended || this.disposing) return undefined;
    const tail = this.store.tail(TAIL_LINES);
    const quoted = tail.length ? `\n${tail.map((l) => `  ${l}`).join('\n')}` : '';
    const how = ended.error ? `could not start (${ended.error})` : ended.signal ? `was stopped (${ended.signal})` : `exited with code ${ended.code}`;
    if (ended.noFolder) {
      return new LogSourceProblem(
        `The log command \`${this.command}\` ${how}; the run goes on without server logs.`,
        'Fix `app.logs.cwd` in smoke-repair.yaml: a folder relative to the workspace.',
        this.describe(),
      );
    }
    if (!ended.error && ended.code === 0) {
      return new LogSourceProblem(
        `The log command \`${this.command}\` ended (exit code 0) before the run did, so later server logs are missing.${quoted}`,
        'A log command must keep following the log until it is stopped: add its follow flag (`docker compose logs -f`, `kubectl logs -f`, `tail -F`) in `app.logs.command`.',
        this.describe(),
        tail,
      );
    }
    const notFound = ended.code === 127 || /not found|not recognized|No such file/i.test(tail.join('\n'));
    return new LogSourceProblem(
      `The log command \`${this.command}\` ${how}; the run goes on without server logs.${quoted}`,
      notFound
        ? `Check that the program in \`app.logs.command\` is installed and on the PATH of the editor (or shell) running Smoke Repair, and that the paths it names exist (it runs in ${this.cwd}).`
        : `Run \`${this.command}\` in a terminal in ${this.cwd} to see why it stops (is the app's container or pod running, is its name right?), fix \`app.logs.command\`, then run again.`,
      this.describe(),
      tail,
    );
  }

  async dispose(): Promise<void> {
    this.disposing = true;
    const child = this.child;
    if (!child || this.ended || child.pid === undefined) return;
    // The whole group, and waiting until it is gone; a grandchild that escaped it is given up on.
    await stopProcessGroup(child, { graceMs: this.killGraceMs, giveUpMs: 1000, exited: false });
    child.stdout?.destroy();
    child.stderr?.destroy();
  }

  private capture(stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr'): void {
    const splitter = new LineSplitter();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const now = Date.now();
      for (const line of splitter.write(chunk)) this.store.push(name, line, now);
    });
    stream.on('end', () => {
      const rest = splitter.flush();
      if (rest !== undefined) this.store.push(name, rest);
    });
  }
}
