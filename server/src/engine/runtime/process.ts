import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ProcessRuntimeConfig } from '../config/schema';
import { EnvironmentError, type LogLine } from '../model';
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
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    private readonly config: ProcessRuntimeConfig,
    private readonly workspace: string,
    /** Resolves true when the app answers its health endpoint. */
    private readonly isHealthy: () => Promise<boolean>,
    private readonly waitHealthy: () => Promise<void>,
  ) {}

  describe(): string {
    return `process \`${this.config.command}\``;
  }

  /** The output captured so far (for reports when the process dies). */
  output(): string {
    return this.lines.map((l) => l.text).join('\n');
  }

  async ensureRunning(): Promise<void> {
    if (this.child && !this.exited) return;
    if (await this.isHealthy()) return; // someone else runs it: requests work, logs are not ours to read
    if (!this.config.start) {
      throw new EnvironmentError(
        `The app does not answer and \`app.process.start\` is false, so it is not started.`,
        `Start it yourself (\`${this.config.command}\`) or set \`app.process.start: true\` in smoke-repair.yaml.`,
      );
    }
    this.start();
    try {
      await Promise.race([this.waitHealthy(), this.exitedEarly()]);
    } catch (err) {
      await this.dispose();
      throw err;
    }
  }

  private start(): void {
    const cwd = path.resolve(this.workspace, this.config.cwd);
    this.exited = undefined;
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
    child.on('exit', (code, signal) => {
      this.exited = { code, signal };
    });
    child.on('error', (err) => {
      this.push('stderr', `failed to start: ${err.message}`);
      this.exited = { code: null, signal: null };
    });
  }

  private exitedEarly(): Promise<never> {
    return new Promise((_, reject) => {
      const check = setInterval(() => {
        if (!this.exited) return;
        clearInterval(check);
        const tail = this.lines.slice(-20).map((l) => `  ${l.text}`).join('\n');
        reject(
          new EnvironmentError(
            `The app process \`${this.config.command}\` exited (${this.exited.signal ?? `code ${this.exited.code}`}) before it answered.\n${tail}`,
            'Run the command in a terminal to see why it stops, fix it, then run again.',
          ),
        );
      }, 50);
      check.unref();
    });
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

  async restart(): Promise<void> {
    await this.dispose();
    await this.ensureRunning();
  }

  async dispose(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || this.exited || child.pid === undefined) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (process.platform === 'win32') child.kill(signal);
        else process.kill(-child.pid!, signal);
      } catch {
        /* already gone */
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 3000);
    await done;
    clearTimeout(timer);
  }
}
