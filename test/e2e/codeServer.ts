/**
 * Starts code-server (the VS Code workbench served to a browser, with the desktop editor's Node
 * extension host) on a loopback port, in throw-away data folders, with nothing that phones home.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export interface CodeServerOptions {
  /** The installed code-server package folder (holds `out/node/entry.js`). */
  packageDir: string;
  /** Folder opened as the workspace. */
  workspace: string;
  /** VSIX files installed into the extensions folder before the server starts. */
  vsixFiles?: string[];
  /** How long to wait for the server to listen, per attempt. */
  listenTimeoutMs?: number;
  /** Extra environment for code-server and its extension host. */
  env?: Record<string, string>;
  /** Receives every line code-server prints. */
  onOutput?: (line: string) => void;
}

export interface CodeServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** Everything code-server printed so far. */
  output(): string;
  /** Stops code-server and every process it started, then removes the data folders. */
  stop(): Promise<void>;
}

/**
 * User settings that keep the workbench quiet and offline (userSettings.json): no telemetry, no
 * update, gallery or schema downloads, no welcome pages, tips or trust prompts in the way.
 */
export function quietUserSettings(): Record<string, unknown> {
  const file = path.join(__dirname, 'userSettings.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: expected JSON settings (${(err as Error).message})`);
  }
  const parsed = z.record(z.string(), z.unknown()).safeParse(json);
  if (!parsed.success) throw new Error(`${file}: expected a JSON object of settings (${parsed.error.message})`);
  return parsed.data;
}

const LISTENING = /HTTP server listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/;
const HANDSHAKE_TIMEOUT = /timed out/i;

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const entry = path.join(opts.packageDir, 'out', 'node', 'entry.js');
  if (!existsSync(entry)) {
    throw new Error(`${entry}: not found; expected an installed code-server (run scripts/setup-code-server.sh)`);
  }
  const settings = quietUserSettings();
  const root = mkdtempSync(path.join(tmpdir(), 'smoke-repair-code-server-'));
  const dirs = {
    root,
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
    xdgData: path.join(root, 'xdg-data'),
    xdgConfig: path.join(root, 'xdg-config'),
    config: path.join(root, 'config.yaml'),
  };
  for (const d of [dirs.userData, dirs.extensions, dirs.xdgData, dirs.xdgConfig]) mkdirSync(d, { recursive: true });
  mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  writeFileSync(dirs.config, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...opts.env,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    // The server then skips resolving a login-shell environment (seconds, and a missed deadline when slow).
    VSCODE_CLI: '1',
    // An empty gallery: no extension marketplace queries (code-server defaults to open-vsx.org).
    EXTENSIONS_GALLERY: '{}',
  };
  const common = ['--config', dirs.config, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];

  for (const vsix of opts.vsixFiles ?? []) {
    const r = spawnSync(process.execPath, [entry, ...common, '--install-extension', vsix, '--force'], {
      env,
      encoding: 'utf8',
      timeout: 5 * 60_000,
    });
    if (r.status !== 0) {
      rmSync(root, { recursive: true, force: true });
      throw new Error(`installing ${vsix} into code-server failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
  }

  const args = [
    entry,
    ...common,
    '--bind-addr', '127.0.0.1:0',
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    opts.workspace,
  ];
  const listenTimeoutMs = opts.listenTimeoutMs ?? 5 * 60_000;

  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const started = await launchOnce(args, env, listenTimeoutMs, opts.onOutput);
    if (started.ok) {
      const { child, url, port } = started;
      return {
        url,
        port,
        pid: child.pid!,
        userDataDir: dirs.userData,
        extensionsDir: dirs.extensions,
        output: started.output,
        stop: async () => {
          await stopGroup(child);
          rmSync(root, { recursive: true, force: true });
        },
      };
    }
    lastError = new Error(`code-server did not start (attempt ${attempt}): ${started.reason}\n${started.output()}`);
    // The parent and child processes shake hands within a fixed 10 s; on a busy host that can
    // time out. Retry once in that case only.
    if (!started.retryable) break;
    opts.onOutput?.(`code-server handshake timed out; retrying once`);
  }
  rmSync(root, { recursive: true, force: true });
  throw lastError!;
}

type Launch =
  | { ok: true; child: ChildProcess; url: string; port: number; output: () => string }
  | { ok: false; reason: string; retryable: boolean; output: () => string };

function launchOnce(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  onOutput?: (line: string) => void,
): Promise<Launch> {
  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const output = () => text;
  return new Promise<Launch>((resolve) => {
    let settled = false;
    const finish = (r: Launch) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let pending = '';
    const onData = (chunk: Buffer) => {
      const s = chunk.toString('utf8');
      text += s;
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        onOutput?.(line);
        const m = LISTENING.exec(line);
        if (m) finish({ ok: true, child, url: m[1]!, port: Number(m[2]), output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (err) => finish({ ok: false, reason: err.message, retryable: false, output }));
    child.on('exit', (code, signal) => {
      finish({
        ok: false,
        reason: `exited with ${signal ?? `code ${code}`} before listening`,
        retryable: HANDSHAKE_TIMEOUT.test(text),
        output,
      });
    });
    const timer = setTimeout(() => {
      void stopGroup(child).then(() =>
        finish({ ok: false, reason: `not listening after ${timeoutMs} ms`, retryable: HANDSHAKE_TIMEOUT.test(text), output }),
      );
    }, timeoutMs);
  });
}

/** SIGTERM to the whole process group, then SIGKILL after a grace period. */
async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
