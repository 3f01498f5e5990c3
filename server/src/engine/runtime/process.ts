import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ProcessRuntimeConfig } from '../config/schema';
import { AppStartFailure, EnvironmentError, type LogLine } from '../model';
import { stopProcessGroup } from './processGroup';
import type { Mount, Runtime } from './types';

/** How many log lines are kept; older ones are dropped first. */
const MAX_LINES = 100_000;

/**
 * The app runs as a local process that this adapter starts (or finds already answering).
 * Its output is captured line by line with the time each line arrived.
 */
export class ProcessRuntime implements Runtime {
  readonly kind = 'process' as const;
  private child: ChildProcess | undefined;
  private readonly lines: LogLine[] = [];
  private exited: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;
  /** Settles when the child has exited and its output streams are drained. */
  private closed: Promise<void> | undefined;
  private startedAt = 0;

  constructor(
    private readonly config: ProcessRuntimeConfig,
    private readonly workspace: string,
    /** Resolves true when the app answers its health probe. */
    private readonly isHealthy: () => Promise<boolean>,
    /** Resolves when the app answers; stops waiting when `signal` aborts. */
    private readonly waitHealthy: (signal?: AbortSignal) => Promise<void>,
  ) {}

  describe(): string {
    return `process \`${this.config.command}\``;
  }

  /** The output captured so far (for reports when the process dies). */
  output(): string {
    return this.lines.map((l) => l.text).join('\n');
  }

  async ensureRunning(signal?: AbortSignal): Promise<void> {
    if (this.child && !this.exited) return;
    if (await this.isHealthy()) return; // someone else runs it: requests work, logs are not ours to read
    if (!this.config.start) {
      throw new EnvironmentError(
        `The app does not answer and \`app.process.start\` is false, so it is not started.`,
        `Start it yourself (\`${this.config.command}\`) or set \`app.process.start: true\` in smoke-repair.yaml.`,
      );
    }
    this.start();
    // Whichever comes first: the app answers, or it exits. The loser stops at once, so a crash
    // ends the wait within moments and nothing keeps polling after.
    const stop = new AbortController();
    const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    try {
      await Promise.race([this.waitHealthy(both), this.watchExit(both)]);
    } catch (err) {
      await this.dispose();
      throw err;
    } finally {
      stop.abort();
    }
  }

  private start(): void {
    const cwd = path.resolve(this.workspace, this.config.cwd);
    this.exited = undefined;
    this.startedAt = Date.now();
    const child = spawn(this.config.command, {
      cwd,
      shell: true,
      detached: process.platform !== 'win32',
      env: { ...process.env, PYTHONUNBUFFERED: '1', ...this.config.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.capture(child.stdout!, 'stdout');
    this.capture(child.stderr!, 'stderr');
    this.closed = new Promise((resolve) => child.once('close', () => resolve()));
    child.on('exit', (code, signal) => {
      this.exited = { code, signal, at: Date.now() };
    });
    child.on('error', (err) => {
      this.push('stderr', `failed to start: ${err.message}`);
      this.exited = { code: null, signal: null, at: Date.now() };
    });
  }

  watchExit(signal: AbortSignal): Promise<never> {
    return new Promise((_, reject) => {
      const closed = this.closed;
      if (!closed || signal.aborted) return;
      let done = false;
      signal.addEventListener('abort', () => (done = true), { once: true });
      // 'close' comes after the last output line; a grandchild that keeps the pipes open must not
      // hide the exit, so the exit itself is also enough after a short grace.
      const exited = new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (done) return clearInterval(check);
          if (this.exited) {
            clearInterval(check);
            setTimeout(resolve, 300).unref();
          }
        }, 25);
        check.unref();
      });
      void Promise.race([closed, exited]).then(() => {
        if (done || !this.exited) return;
        const how = this.exited.signal ? `was stopped by ${this.exited.signal}` : `exited with code ${this.exited.code}`;
        reject(
          new AppStartFailure(
            `The app process \`${this.config.command}\` ${how} before it answered.`,
            'Its output is in the "app starts" failure; fix what it reports, then run again.',
            this.linesSince(this.startedAt),
            how,
            { startedAt: this.startedAt, endedAt: this.exited.at },
          ),
        );
      });
    });
  }

  async startupLog(): Promise<LogLine[]> {
    return this.linesSince(this.startedAt);
  }

  private linesSince(time: number): LogLine[] {
    const from = this.lines.findIndex((l) => l.time >= time);
    return from < 0 ? [] : this.lines.slice(from);
  }

  private capture(stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr'): void {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) this.push(name, part.replace(/\r$/, ''));
    });
    stream.on('end', () => {
      if (pending) this.push(name, pending);
      pending = '';
    });
  }

  private push(stream: 'stdout' | 'stderr', text: string): void {
    this.lines.push({ time: Date.now(), stream, text });
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }

  async logs(since: number, until: number): Promise<LogLine[]> {
    return this.lines.filter((l) => l.time >= since && l.time <= until);
  }

  async mounts(): Promise<Mount[]> {
    // A local process sees the workspace at its own path.
    return [{ source: path.resolve(this.workspace), destination: path.resolve(this.workspace) }];
  }

  async foreignCode(): Promise<string | undefined> {
    // The command runs in the workspace (app.process.cwd is inside it); an app someone else
    // started is only seen through HTTP, so nothing says it is another folder's.
    return undefined;
  }

  async restart(): Promise<void> {
    await this.dispose();
    await this.ensureRunning();
  }

  /**
   * Stop the app: its whole process group, not only the shell that started it, and wait until every
   * member is gone (a server still shutting down would keep the port and answer the next run).
   */
  async dispose(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.pid === undefined) return;
    await stopProcessGroup(child, { graceMs: 3000, giveUpMs: 2000, exited: Boolean(this.exited) });
  }

}
