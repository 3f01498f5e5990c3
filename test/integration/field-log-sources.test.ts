/**
 * Traces when the tool does not own the app: the user started it, and its log is a file it writes
 * (`app.logs.file`), the output of a command (`app.logs.command`), or only the response body (a
 * development error page). Each failure gets its own request's trace, and the report says where it
 * was read.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { runSmoke } from '../../server/src/engine';
import { waitForHealth } from '../../server/src/engine/smoke/health';
import { copyFieldApp, fieldPython, plantedMessage, type FieldWorkspace } from '../setup/field';
import { freePort } from '../setup/net';

/** Start the field app the way a user would, outside the tool, with its output going to `logFile` (or nowhere). */
async function startByHand(ws: FieldWorkspace, logFile: string | undefined): Promise<ChildProcess> {
  const command = ws.app.process.command.replaceAll('{python}', fieldPython()).replaceAll('{port}', String(ws.port));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ws.app.process.env)) env[k] = v.replaceAll('{port}', String(ws.port)).replaceAll('{data}', path.join(ws.dir, '.data'));
  const out = logFile ? openSync(logFile, 'a') : 'ignore';
  const child = spawn(command, { cwd: ws.dir, shell: true, detached: true, env: { ...process.env, PYTHONUNBUFFERED: '1', ...env }, stdio: ['ignore', out, out] });
  await waitForHealth(`http://127.0.0.1:${ws.port}`, { path: '/', anyAnswer: true }, 30_000);
  return child;
}

function stopByHand(child: ChildProcess | undefined): void {
  try {
    if (child?.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** Replace the copy's runtime settings: the app is not started by the tool. */
function configure(ws: FieldWorkspace, app: Record<string, unknown>): void {
  const file = path.join(ws.dir, 'smoke-repair.yaml');
  const config = parse(readFileSync(file, 'utf8')) as { app: Record<string, unknown> };
  config.app = { baseUrl: `http://127.0.0.1:${ws.port}`, ...app };
  writeFileSync(file, stringify(config));
}

function assertOwnTraces(ws: FieldWorkspace, report: Awaited<ReturnType<typeof runSmoke>>, source: string): void {
  assert.equal(report.violations.length, ws.planted.length, report.violations.map((v) => v.message).join('\n'));
  for (const v of report.violations) {
    const site = ws.planted.find((s) => s.scenario === v.scenario);
    assert.ok(site, v.message);
    assert.ok(v.trace, `${v.scenario}: a trace (${v.attribution}: ${v.attributionNote ?? ''})`);
    assert.equal(v.trace.message, plantedMessage(site), `${v.scenario} got another request's trace`);
    assert.equal(v.traceSource, source, `${v.scenario}: read from ${v.traceSource}`);
    assert.equal(v.location?.file, site.file);
  }
}

describe('log sources', () => {
  const cleanup: Array<() => void> = [];
  after(() => cleanup.forEach((f) => f()));

  test('app.logs.file: a uvicorn app started by hand, its output in a file', async () => {
    const ws = copyFieldApp('fastapi-heroes', { port: await freePort(), plant: ['read-hero', 'list-heroes', 'read-team'] });
    const logFile = path.join(ws.dir, 'server.log');
    writeFileSync(logFile, 'INFO:     an older line from before the run\n');
    const child = await startByHand(ws, logFile);
    cleanup.push(() => stopByHand(child), () => ws.remove());
    configure(ws, { logs: { file: 'server.log' } });
    for (let run = 0; run < 3; run++) assertOwnTraces(ws, await runSmoke({ workspace: ws.dir }), 'file');
  });

  test('app.logs.command: a Flask app started by hand, its log printed by a follow command', async () => {
    const ws = copyFieldApp('flask-notes', { port: await freePort(), plant: ['show-notebook', 'show-note', 'whoami'] });
    const logFile = path.join(ws.dir, 'flask.out');
    writeFileSync(logFile, '');
    const child = await startByHand(ws, logFile);
    cleanup.push(() => stopByHand(child), () => ws.remove());
    configure(ws, { logs: { command: 'tail -n 0 -F flask.out' } });
    const report = await runSmoke({ workspace: ws.dir });
    assertOwnTraces(ws, report, 'command');
    assert.equal(report.warnings, undefined, String(report.warnings));
  });

  test('a log command that cannot run is a warning, and the run goes on', async () => {
    const ws = copyFieldApp('flask-notes', { port: await freePort(), plant: ['whoami'] });
    const child = await startByHand(ws, undefined);
    cleanup.push(() => stopByHand(child), () => ws.remove());
    configure(ws, { logs: { command: 'no-such-log-command --follow' } });
    const report = await runSmoke({ workspace: ws.dir });
    assert.equal(report.violations.length, 1);
    assert.equal(report.violations[0].trace, undefined);
    assert.ok(report.warnings?.some((w) => /no-such-log-command/.test(w)), String(report.warnings));
  });

  test('the response body: Express in development mode, started by hand, no log to read', async () => {
    const ws = copyFieldApp('express4-bookmarks', { port: await freePort(), plant: ['get-bookmark', 'tag-counts', 'one-tag'] });
    const child = await startByHand(ws, undefined);
    cleanup.push(() => stopByHand(child), () => ws.remove());
    configure(ws, {});
    for (let run = 0; run < 3; run++) {
      const report = await runSmoke({ workspace: ws.dir });
      assertOwnTraces(ws, report, 'body');
      assert.ok(report.violations.every((v) => v.attribution === 'body'));
    }
  });
});
