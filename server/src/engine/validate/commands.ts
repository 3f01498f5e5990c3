import { spawn } from 'node:child_process';
import { boundOutput } from './step';

/**
 * Shell commands run in the sandbox view: the configured checks. Each runs in its own process
 * group, so a time limit or an abort ends everything it started.
 */

export interface CommandResult {
  command: string;
  exitCode: number | null;
  timedOut: boolean;
  output: string;
  durationMs: number;
}

export function runCommand(
  command: string,
  opts: { cwd: string; timeoutMs: number; env?: Record<string, string>; signal?: AbortSignal },
): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, {
      cwd: opts.cwd,
      shell: true,
      detached: process.platform !== 'win32',
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > 256 * 1024) output = boundOutput(output, 128 * 1024);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(process.platform === 'win32' ? child.pid : -child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    const onAbort = () => kill();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (exitCode: number | null, extra = '') => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ command, exitCode, timedOut, output: output + extra, durationMs: Math.round(performance.now() - started) });
    };
    child.on('error', (err) => finish(null, `could not start: ${err.message}`));
    child.on('close', (code) => finish(code));
  });
}

/** The checks step: every command must exit 0 within its time limit. */
export async function runChecks(
  commands: string[],
  opts: { cwd: string; timeoutMs: number; signal?: AbortSignal },
): Promise<{ ok: boolean; output: string }> {
  let ok = true;
  const parts: string[] = [];
  for (const command of commands) {
    const r = await runCommand(command, opts);
    opts.signal?.throwIfAborted();
    const passed = r.exitCode === 0 && !r.timedOut;
    ok &&= passed;
    const verdict = r.timedOut ? `timed out after ${opts.timeoutMs} ms` : `exit ${r.exitCode ?? 'none'}`;
    parts.push(`$ ${command}  (${verdict}, ${r.durationMs} ms)\n${boundOutput(r.output.trimEnd(), 4096)}`);
  }
  return { ok, output: parts.join('\n') };
}
