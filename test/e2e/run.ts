/**
 * End-to-end tests in a real VS Code (code-server) driven through Chromium.
 *
 *   node --import tsx test/e2e/run.ts
 *
 * Starts the example app in Docker, code-server and Chromium once, then runs
 *   a. the extension-host suite (test/e2e/suite), bundled to JS, inside the editor's extension host;
 *   b. the UI test (test/e2e/ui.ts) through the workbench: the Problems panel, the failure report
 *      behind a diagnostic's code link, and the Test Explorer with a failed test's peek;
 *   c. the quick fix test (test/e2e/quickFixCheck.ts) in a second window, on a private copy of the
 *      example running in its own container: light bulb, preview, apply, smoke again, roll back;
 *   d. the Repair Failures test (test/e2e/repairFailuresCheck.ts) in a third window, on another
 *      private copy: every safe fix applied, the app rebuilt, smoke again, the pass rate after.
 *   e. the repair loop test (test/e2e/repairLoopCheck.ts) in a fourth window, on a third private
 *      copy: the Smoke Repair sidebar, Start Repair Loop, Repair History and a fix's diff.
 * Then: smoke-repair.yaml unchanged, no browser traffic off loopback, no validation sandbox left
 * running by the editor's language servers (removed if found).
 * Exit code 0 when all pass. Screenshots of failures and of the final state: test-results/e2e/.
 *
 * Environment (all optional):
 *   SMOKE_REPAIR_E2E_WORKSPACE   folder to open instead of examples/shop-api (the app is then not started)
 *   SMOKE_REPAIR_E2E_EXTENSION   extension folder to load instead of this repository's bundled one
 *   SMOKE_REPAIR_E2E_VSIX        a .vsix for the UI test (default: dist/smoke-repair.vsix when current)
 *   SMOKE_REPAIR_E2E_TIMEOUT_MS  per-step limit (default 600000: a busy host can take minutes)
 *   SMOKE_REPAIR_E2E_ONLY        "extension-host", "ui", "quick-fix", "repair-failures" or "repair-loop"
 *   SMOKE_REPAIR_E2E_KEEP_APP=1  leave the example app running at the end (one already running is always left running)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Page, Request } from 'playwright-core';
import { z } from 'zod';
import { launchChromium } from './browser';
import { startCodeServer, type CodeServer } from './codeServer';
import { EXPECTATION_ENV, SNAPSHOT_ENV, expectationFor, faultFor } from './expectation';
import { runExtensionHostTests } from './extensionHostTests';
import { findLeftovers, removeLeftovers, watchProcessGroup } from './leftovers';
import { measureMemory, type MemoryReport } from './memory';
import { QUICK_FIX, runQuickFixTest } from './quickFixCheck';
import { REPAIR_FAILURES, runRepairFailuresTest } from './repairFailuresCheck';
import { REPAIR_LOOP, runRepairLoopTest } from './repairLoopCheck';
import { runUiTest } from './ui';

const repo = path.resolve(__dirname, '..', '..');
const results = path.join(repo, 'test-results', 'e2e');
const timeoutMs = z.coerce.number().int().positive().parse(process.env.SMOKE_REPAIR_E2E_TIMEOUT_MS ?? 600_000);
const only = z.enum(['extension-host', 'ui', 'quick-fix', 'repair-failures', 'repair-loop']).optional().parse(process.env.SMOKE_REPAIR_E2E_ONLY || undefined);
const t0 = Date.now();

function log(line: string): void {
  process.stderr.write(`[e2e +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(results, `${name}.png`);
  await page
    .screenshot({ path: file, timeout: 60_000 })
    .then(() => log(`screenshot ${path.relative(repo, file)}`))
    .catch((err: Error) => log(`screenshot ${name} failed: ${err.message}`));
}

function installCodeServer(): string {
  const r = spawnSync('bash', [path.join(repo, 'scripts', 'setup-code-server.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`scripts/setup-code-server.sh failed (exit ${r.status})`);
  return r.stdout.trim().split('\n').pop()!;
}

interface ExtensionUnderTest {
  /** Folder with the extension's package.json and its bundled entry. */
  dir: string;
  /** A packaged extension for the UI test, when there is a current one. */
  vsix?: string;
}

function extensionUnderTest(): ExtensionUnderTest {
  const dir = path.resolve(process.env.SMOKE_REPAIR_E2E_EXTENSION ?? repo);
  const manifest = path.join(dir, 'package.json');
  const main = z.object({ main: z.string() }).safeParse(JSON.parse(readFileSync(manifest, 'utf8')));
  if (!main.success) throw new Error(`${manifest}: expected a "main" field naming the bundled extension entry`);
  let entry = path.resolve(dir, main.data.main);
  if (!/\.[cm]?js$/.test(entry)) entry += '.js';
  if (!existsSync(entry) && dir === repo && existsSync(path.join(repo, 'esbuild.mjs'))) {
    log(`${path.relative(repo, entry)} missing; building with node esbuild.mjs`);
    const b = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repo, stdio: 'inherit' });
    if (b.status !== 0) throw new Error(`node esbuild.mjs failed (exit ${b.status})`);
  }
  if (!existsSync(entry)) throw new Error(`${entry}: not found; expected the bundled extension (run node esbuild.mjs)`);
  let vsix = process.env.SMOKE_REPAIR_E2E_VSIX ? path.resolve(process.env.SMOKE_REPAIR_E2E_VSIX) : undefined;
  if (vsix && !existsSync(vsix)) throw new Error(`SMOKE_REPAIR_E2E_VSIX=${vsix}: not found`);
  if (!vsix && dir === repo) {
    const packaged = path.join(repo, 'dist', 'smoke-repair.vsix');
    if (existsSync(packaged) && statSync(packaged).mtimeMs >= statSync(entry).mtimeMs) vsix = packaged;
    else if (existsSync(packaged)) log('dist/smoke-repair.vsix is older than the bundle; the UI test loads dist/ instead (npm run package to refresh)');
  }
  return { dir, vsix };
}

const AppInfo = z.object({ baseUrl: z.string(), project: z.string(), service: z.string() });

interface Workspace {
  folder: string;
  stop: () => Promise<void>;
}

async function workspaceWithApp(): Promise<Workspace> {
  if (process.env.SMOKE_REPAIR_E2E_WORKSPACE) {
    const folder = path.resolve(process.env.SMOKE_REPAIR_E2E_WORKSPACE);
    if (!existsSync(folder)) throw new Error(`SMOKE_REPAIR_E2E_WORKSPACE=${folder}: not found`);
    return { folder, stop: async () => undefined };
  }
  const folder = path.join(repo, 'examples', 'shop-api');
  const helper = path.join(repo, 'test', 'setup', 'docker.ts');
  if (!existsSync(folder)) throw new Error(`${folder}: not found; expected the example workspace`);
  if (!existsSync(helper)) throw new Error(`${helper}: not found; expected ensureDocker/ensureExampleUp/stopExample`);
  const docker = (await import(pathToFileURL(helper).href)) as Record<string, unknown>;
  const fns = z
    .object({ ensureDocker: z.function(), ensureExampleUp: z.function(), stopExample: z.function() })
    .safeParse(docker);
  if (!fns.success) throw new Error(`${helper}: expected exports ensureDocker, ensureExampleUp, stopExample`);
  const { ensureDocker, ensureExampleUp, stopExample } = docker as {
    ensureDocker: () => Promise<void>;
    ensureExampleUp: (name: string) => Promise<unknown>;
    stopExample: (name: string) => Promise<void>;
  };
  log('starting Docker and the shop-api example');
  await ensureDocker();
  // An example that was already running (other suites, the demo, a developer) stays running.
  const wasUp = await fetch('http://127.0.0.1:8000/health').then((r) => r.ok, () => false);
  const app = AppInfo.parse(await ensureExampleUp('shop-api'));
  log(`shop-api is up at ${app.baseUrl} (compose project ${app.project}, service ${app.service})`);
  return {
    folder,
    stop: async () => {
      if (process.env.SMOKE_REPAIR_E2E_KEEP_APP === '1' || wasUp) return;
      log('stopping the shop-api example');
      await stopExample('shop-api');
    },
  };
}

const CopyModule = z.object({ copyExample: z.function() });
const ExampleCopy = z.object({ dir: z.string(), project: z.string(), baseUrl: z.string(), stop: z.function() });

interface Copy {
  dir: string;
  project: string;
  baseUrl: string;
  stop: () => void | Promise<void>;
}

/** A private copy of the example in a temp folder, running in its own container on a free port. */
async function exampleCopy(example: string): Promise<Copy> {
  const setup = path.join(repo, 'test', 'setup');
  const docker = (await import(pathToFileURL(path.join(setup, 'docker.ts')).href)) as {
    ensureDocker: () => Promise<void>;
    ensureExampleUp: (name: string) => Promise<unknown>;
  };
  const copies = await import(pathToFileURL(path.join(setup, 'exampleCopy.ts')).href);
  if (!CopyModule.safeParse(copies).success) throw new Error(`${path.join(setup, 'exampleCopy.ts')}: expected an export copyExample(name, port)`);
  const net = (await import(pathToFileURL(path.join(setup, 'net.ts')).href)) as { freePort: () => Promise<number> };
  await docker.ensureDocker();
  await docker.ensureExampleUp(example); // its image must exist; the shared container is not touched
  const copy = (await (copies as { copyExample: (name: string, port: number) => Promise<unknown> }).copyExample(example, await net.freePort())) as Copy;
  const parsed = ExampleCopy.safeParse(copy);
  if (!parsed.success) {
    await Promise.resolve((copy as Partial<Copy>)?.stop?.()).catch(() => undefined);
    throw new Error(`copyExample returned ${JSON.stringify(copy)}; expected { dir, project, baseUrl, stop() }`);
  }
  return copy;
}

interface StartedCopy {
  copy: Promise<Copy>;
  /** Removes the copy once it has started (or failed to); later calls do nothing. */
  stop: () => Promise<void>;
}

/** Starts a copy of `example` (after `after`, when given) and returns how to wait for it and remove it. */
function startCopy(example: string, after?: Promise<void>): StartedCopy {
  let started: Copy | undefined;
  const copy = (after ?? Promise.resolve()).then(() => exampleCopy(example)).then((c) => (started = c));
  copy.then(
    (c) => log(`copy of ${example} in ${c.dir}, compose project ${c.project}, at ${c.baseUrl}`),
    () => undefined,
  );
  return {
    copy,
    stop: async () => {
      await copy.catch(() => undefined);
      const c = started;
      if (!c) return;
      started = undefined;
      log(`removing the copy ${c.project}`);
      await Promise.resolve(c.stop()).catch((err: Error) => log(`removing the copy failed: ${err.message}`));
    },
  };
}

/** "After every fixable fault is repaired (a to f) the pass rate is **18/19**" in FAULTS.md. */
function passRateAfterRepair(workspace: string): { passed: number; total: number } {
  const file = path.join(workspace, 'FAULTS.md');
  const m = /after every fixable fault is repaired[^*]*\*\*(\d+)\/(\d+)\*\*/i.exec(readFileSync(file, 'utf8'));
  if (!m) throw new Error(`${file}: no "After every fixable fault is repaired ... the pass rate is **n/m**" sentence`);
  return { passed: Number(m[1]), total: Number(m[2]) };
}

async function bundleSuite(): Promise<string> {
  const outfile = path.join(repo, 'out', 'e2e', 'suite', 'index.js');
  await build({
    entryPoints: [path.join(repo, 'test', 'e2e', 'suite', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'inline',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

interface Outcome {
  name: string;
  ok: boolean;
  seconds: number;
  detail: string;
}

async function main(): Promise<number> {
  mkdirSync(results, { recursive: true });
  for (const f of readdirSync(results)) if (f.endsWith('.png')) rmSync(path.join(results, f));

  const codeServerDir = installCodeServer();
  const extension = extensionUnderTest();
  log(`extension under test: ${extension.dir}${extension.vsix ? ` (UI test installs ${path.relative(repo, extension.vsix)})` : ' (loaded from its folder)'}`);
  const suite = await bundleSuite();
  const workspace = await workspaceWithApp();
  // The copies for the quick fix and Repair Failures tests start while code-server and the first
  // tests run, one after the other (each takes its own free port).
  const copyStarted = only === undefined || only === 'quick-fix' ? startCopy(QUICK_FIX.example) : undefined;
  const repairCopyStarted =
    only === undefined || only === 'repair-failures'
      ? startCopy(REPAIR_FAILURES.example, copyStarted?.copy.then(() => undefined, () => undefined))
      : undefined;
  const loopCopyStarted =
    only === undefined || only === 'repair-loop'
      ? startCopy(REPAIR_LOOP.example, (repairCopyStarted ?? copyStarted)?.copy.then(() => undefined, () => undefined))
      : undefined;
  const stopCopy = async () => {
    await Promise.all([copyStarted?.stop(), repairCopyStarted?.stop(), loopCopyStarted?.stop()]);
  };
  // Each wait inside the extension host gets half the step limit, so its own, more telling,
  // error arrives before the harness gives up on the exit code.
  const expect = expectationFor(workspace.folder, Math.floor(timeoutMs / 2));
  log(`expecting a smoke-repair diagnostic on ${expect.file}${expect.line ? `:${expect.line}` : ''} matching /${expect.message}/`);

  // The extension-host suite edits the config in an editor buffer and reverts it: the file must not change.
  const configFile = path.join(workspace.folder, 'smoke-repair.yaml');
  const configBefore = existsSync(configFile) ? readFileSync(configFile) : undefined;

  const snapshotAck = path.join(repo, 'out', 'e2e', `screenshot-taken-${process.pid}`);
  rmSync(snapshotAck, { force: true });
  const outcomes: Outcome[] = [];
  let server: CodeServer | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let memory: MemoryReport | undefined;
  let serverGroup: ReturnType<typeof watchProcessGroup> | undefined;
  const offLoopback: string[] = [];
  const pendingOffLoopback = new Set<Request>();
  try {
    let s = Date.now();
    const interrupted = (signal: NodeJS.Signals) => {
      log(`${signal}: stopping code-server, Chromium and the example`);
      void Promise.allSettled([browser?.close(), server?.stop(), workspace.stop(), stopCopy()])
        .then(() => serverGroup && removeLeftovers(findLeftovers(serverGroup.pids)))
        .finally(() => process.exit(130));
    };
    process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
    server = await startCodeServer({
      packageDir: codeServerDir,
      workspace: workspace.folder,
      vsixFiles: extension.vsix ? [extension.vsix] : [],
      listenTimeoutMs: timeoutMs,
      env: { [EXPECTATION_ENV]: JSON.stringify(expect), [SNAPSHOT_ENV]: snapshotAck },
      onOutput: (line) => {
        if (/error|listening|Loading development extension|unresponsive|timed out/i.test(line)) log(`  [code-server] ${line}`);
      },
    });
    log(`code-server listening at ${server.url} in ${((Date.now() - s) / 1000).toFixed(1)} s`);
    serverGroup = watchProcessGroup(server.pid);
    s = Date.now();
    browser = await launchChromium(timeoutMs);
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const offLoopbackRequest = (req: Request) => {
      const u = new URL(req.url());
      return /^(https?|wss?):$/.test(u.protocol) && !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
    };
    const flag = (req: Request, how: string) => {
      offLoopback.push(`${req.method()} ${req.url()} (${how})`);
      log(`  request off loopback: ${req.method()} ${req.url()} (${how})`);
    };
    // A webview loads its own resources from a placeholder https origin that its service worker
    // answers from the workbench, inside the browser; any other answer came from the network.
    context.on('request', (req) => offLoopbackRequest(req) && pendingOffLoopback.add(req));
    context.on('requestfinished', (req) => {
      if (!pendingOffLoopback.delete(req)) return;
      void req.response().then(
        (res) => (res?.fromServiceWorker() ? undefined : flag(req, `answered with ${res?.status() ?? 'nothing'}`)),
        () => flag(req, 'no response'),
      );
    });
    context.on('requestfailed', (req) => pendingOffLoopback.delete(req) && flag(req, `failed: ${req.failure()?.errorText ?? '?'}`));
    log(`Chromium up in ${((Date.now() - s) / 1000).toFixed(1)} s`);

    if (only === undefined || only === 'extension-host') {
      s = Date.now();
      log('extension-host tests: start');
      try {
        const r = await runExtensionHostTests(
          context,
          { url: server.url, workspace: workspace.folder, extensionDevelopmentPath: extension.dir, extensionTestsPath: suite },
          { timeoutMs, log, screenshot, snapshotAck },
        );
        const failed = r.logs.filter((l) => l.includes('[e2e suite] FAIL')).map((l) => l.slice(l.indexOf('FAIL')));
        outcomes.push({
          name: 'extension-host tests',
          ok: r.exitCode === 0,
          seconds: (Date.now() - s) / 1000,
          detail: [`exit code ${r.exitCode}`, ...failed].join('\n  '),
        });
      } catch (err) {
        outcomes.push({ name: 'extension-host tests', ok: false, seconds: (Date.now() - s) / 1000, detail: (err as Error).message });
      }
    }

    if (only === undefined || only === 'ui') {
      s = Date.now();
      log('UI test: start');
      try {
        const r = await runUiTest(
          context,
          { url: server.url, workspace: workspace.folder, extensionDevelopmentPath: extension.vsix ? undefined : extension.dir },
          { ...expect, timeoutMs },
          { timeoutMs, log, screenshot, beforeClose: () => void (memory = measureMemory(server!.pid)) },
        );
        log(`  status bar: ${r.statusText}`);
        log(`  problem:    ${r.problemRow}`);
        for (const row of r.relatedRows) log(`  related:    ${row}`);
        if (r.report) log(`  report:     ${r.report.tab} (${r.report.href.split('?')[0]}), ${r.report.lines.length} lines read`);
        if (r.testExplorer) {
          for (const t of r.testExplorer.rows) log(`  test:       ${t.state.padEnd(7)} ${t.name}`);
          log(`  peek:       ${r.testExplorer.peekTest}: ${r.testExplorer.peekTitle}`);
        }
        outcomes.push(...r.checks);
      } catch (err) {
        outcomes.push({ name: 'UI test', ok: false, seconds: (Date.now() - s) / 1000, detail: (err as Error).message });
      }
    }
    if (copyStarted) {
      s = Date.now();
      log('quick fix test: start');
      try {
        const c = await copyStarted.copy;
        const fault = faultFor(c.dir, QUICK_FIX.signal);
        const before = expect.scenarios;
        if (!before) throw new Error(`${path.join(c.dir, 'FAULTS.md')}: no "before repair" table of scenarios`);
        const r = await runQuickFixTest(
          context,
          { url: server.url, workspace: c.dir, extensionDevelopmentPath: extension.vsix ? undefined : extension.dir },
          {
            ...QUICK_FIX,
            fault,
            before: { passed: before.filter((x) => x.passed).length, total: before.length },
            timeoutMs,
            log,
            screenshot,
          },
        );
        log(`  light bulb: ${r.menu.join(' | ')}`);
        for (const line of r.preview) log(`  preview:    ${line}`);
        log(`  timings:    ${Object.entries(r.timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join('; ')}`);
        outcomes.push(...r.checks);
      } catch (err) {
        outcomes.push({ name: 'quick fix test', ok: false, seconds: (Date.now() - s) / 1000, detail: (err as Error).message });
      }
    }
    if (repairCopyStarted) {
      s = Date.now();
      log('Repair Failures test: start');
      try {
        const c = await repairCopyStarted.copy;
        const before = expect.scenarios;
        if (!before) throw new Error(`${path.join(c.dir, 'FAULTS.md')}: no "before repair" table of scenarios`);
        const r = await runRepairFailuresTest(
          context,
          { url: server.url, workspace: c.dir, extensionDevelopmentPath: extension.vsix ? undefined : extension.dir },
          {
            ...REPAIR_FAILURES,
            onDisk: [...REPAIR_FAILURES.onDisk],
            before: { passed: before.filter((x) => x.passed).length, total: before.length },
            after: passRateAfterRepair(c.dir),
            timeoutMs,
            log,
            screenshot,
          },
        );
        for (const row of r.problemsAfter) log(`  left:       ${row}`);
        log(`  timings:    ${Object.entries(r.timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join('; ')}`);
        outcomes.push(...r.checks);
      } catch (err) {
        outcomes.push({ name: 'Repair Failures test', ok: false, seconds: (Date.now() - s) / 1000, detail: (err as Error).message });
      }
    }
    if (loopCopyStarted) {
      s = Date.now();
      log('repair loop test: start');
      try {
        const c = await loopCopyStarted.copy;
        const before = expect.scenarios;
        if (!before) throw new Error(`${path.join(c.dir, 'FAULTS.md')}: no "before repair" table of scenarios`);
        const r = await runRepairLoopTest(
          context,
          { url: server.url, workspace: c.dir, extensionDevelopmentPath: extension.vsix ? undefined : extension.dir },
          {
            ...REPAIR_LOOP,
            failing: before.filter((x) => !x.passed).map((x) => x.name),
            left: [...REPAIR_LOOP.left],
            before: { passed: before.filter((x) => x.passed).length, total: before.length },
            after: passRateAfterRepair(c.dir),
            timeoutMs,
            log,
            screenshot,
          },
        );
        for (const n of r.notifications) log(`  notified:   ${n}`);
        for (const h of r.history) log(`  history:    ${'  '.repeat(h.level - 1)}${h.label} — ${h.description}`);
        for (const l of r.diff) log(`  diff:       ${l}`);
        log(`  timings:    ${Object.entries(r.timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join('; ')}`);
        outcomes.push(...r.checks);
      } catch (err) {
        outcomes.push({ name: 'repair loop test', ok: false, seconds: (Date.now() - s) / 1000, detail: (err as Error).message });
      }
    }
    if (configBefore) {
      const after = existsSync(configFile) ? readFileSync(configFile) : undefined;
      // Put the workspace back as it was, whatever went wrong.
      if (after === undefined || Buffer.compare(configBefore, after) !== 0) writeFileSync(configFile, configBefore);
      outcomes.push({
        name: 'smoke-repair.yaml on disk untouched',
        ok: after !== undefined && Buffer.compare(configBefore, after) === 0,
        seconds: 0,
        detail:
          after === undefined
            ? 'the file was gone (restored)'
            : `${configBefore.length} → ${after.length} bytes${Buffer.compare(configBefore, after) === 0 ? ', byte-identical' : ', CHANGED (restored)'}`,
      });
    }
    for (const req of pendingOffLoopback) flag(req, 'never finished');
    outcomes.push({
      name: 'no browser traffic off loopback',
      ok: offLoopback.length === 0,
      seconds: 0,
      detail: offLoopback.length ? offLoopback.join(', ') : 'none seen',
    });
  } catch (err) {
    outcomes.push({ name: 'set-up', ok: false, seconds: (Date.now() - t0) / 1000, detail: (err as Error).stack ?? String(err) });
  } finally {
    await browser?.close().catch(() => undefined);
    if (server && outcomes.some((o) => !o.ok)) log(`code-server output (last 4000 chars):\n${server.output().slice(-4000)}`);
    serverGroup?.stop();
    await server?.stop();
    if (serverGroup) {
      // A language server stopped with the editor must not leave a validation sandbox running.
      const left = findLeftovers(serverGroup.pids);
      const failed = removeLeftovers(left);
      outcomes.push({
        name: 'no validation sandbox left behind',
        ok: left.length === 0,
        seconds: 0,
        detail: left.length
          ? `left after the editor stopped (removed now${failed.length ? `, except ${failed.join('; ')}` : ''}): ${left.map((l) => `${l.kind} ${l.name}`).join(', ')}`
          : `none (${serverGroup.pids.size} editor processes watched)`,
      });
    }
    rmSync(snapshotAck, { force: true });
    await stopCopy();
    await workspace.stop().catch((err: Error) => log(`stopping the example failed: ${err.message}`));
  }

  if (memory) {
    log(`memory (PSS): code-server ${memory.codeServerMiB} MiB, Chromium ${memory.chromiumMiB} MiB`);
    for (const d of memory.detail) log(`  ${d}`);
  }
  for (const o of outcomes) log(`${o.ok ? 'PASS' : 'FAIL'} ${o.name} (${o.seconds.toFixed(1)} s): ${o.detail}`);
  const ok = outcomes.length > 0 && outcomes.every((o) => o.ok);
  log(`${ok ? 'all end-to-end tests passed' : 'end-to-end tests failed'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    log(`end-to-end run failed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
