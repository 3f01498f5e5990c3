import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTwoFilesPatch } from 'diff';
import { loadConfig } from '../../server/src/engine/config';
import type { SmokeConfig } from '../../server/src/engine/config/schema';
import type { SmokeReport } from '../../server/src/engine/model';
import type { Patch } from '../../server/src/engine/contracts';
import { runSmoke } from '../../server/src/engine/run';
import { validatePatch } from '../../server/src/engine/validate';
import { freePort } from '../setup/net';

/**
 * Process mode on a real Node app in a temp workspace: the patched app runs from the symlink view
 * on its own port (PORT replaced), the configured checks run there, and nothing is left running.
 */

const SERVER = `const http = require('node:http');
const { handle } = require('./lib/handler');
http.createServer((req, res) => {
  try {
    handle(req, res);
  } catch (err) {
    console.error(err.stack);
    res.statusCode = 500;
    res.end('{}');
  }
}).listen(Number(process.env.PORT), '127.0.0.1');
`;
const HANDLER = `exports.handle = (req, res) => {
  if (req.url === '/health') return res.end('{"status":"ok"}');
  if (req.url === '/greeting') return res.end(JSON.stringify({ text: greet('you') }));
  if (req.url === '/items') return res.end('[]');
  res.statusCode = 404;
  res.end('{}');
};
`;

describe('validatePatch with a process app', { timeout: 120_000 }, () => {
  let ws: string;
  let config: SmokeConfig;
  let report: SmokeReport;
  let port: number;

  before(async () => {
    ws = mkdtempSync(path.join(tmpdir(), 'validate-process-'));
    mkdirSync(path.join(ws, 'lib'));
    writeFileSync(path.join(ws, 'server.js'), SERVER);
    writeFileSync(path.join(ws, 'lib/handler.js'), HANDLER);
    port = await freePort();
    writeFileSync(
      path.join(ws, 'smoke-repair.yaml'),
      `app:
  baseUrl: http://127.0.0.1:${port}
  process: { command: node server.js, env: { PORT: "${port}" } }
validation:
  commands: ["node -e \\"require('./lib/handler.js')\\""]
scenarios:
  - name: greeting
    request: { method: GET, path: /greeting }
  - name: items
    request: { method: GET, path: /items }
`,
    );
    const loaded = await loadConfig(ws);
    assert.ok(loaded.ok);
    config = loaded.config;
    report = await runSmoke({ workspace: ws });
    assert.equal(report.passed, 1);
  });
  after(() => rmSync(ws, { recursive: true, force: true }));

  function patch(after: string): Patch {
    const diff = createTwoFilesPatch('a/lib/handler.js', 'b/lib/handler.js', HANDLER, after);
    return { files: [{ file: 'lib/handler.js', before: HANDLER, after, diff, added: 1, removed: 0 }], diff, stats: { files: 1, added: 1, removed: 0, bytes: 0 } };
  }

  async function portFree(p: number): Promise<boolean> {
    try {
      await fetch(`http://127.0.0.1:${p}/health`, { signal: AbortSignal.timeout(1000) });
      return false;
    } catch {
      return true;
    }
  }

  test('a fix that defines the missing function passes; the sandbox app is stopped', async () => {
    const sandboxPort = await freePort();
    const r = await validatePatch({
      workspace: ws,
      config: { ...config, validation: { commands: config.validation!.commands, commandTimeoutMs: 30_000, scenarios: true, port: sandboxPort, portEnv: 'PORT', buildTimeoutMs: 60_000 } },
      report,
      violation: report.violations[0],
      patch: patch(HANDLER + "const greet = (name) => 'hello ' + name;\n"),
    });
    assert.equal(r.status, 'passed', JSON.stringify(r.steps, null, 1));
    assert.deepEqual(r.steps.map((s) => s.status), ['passed', 'passed', 'passed', 'passed']);
    assert.deepEqual(r.fixed, ['greeting']);
    assert.match(r.steps[3].output, new RegExp(`127\\.0\\.0\\.1:${sandboxPort}`));
    assert.ok(await portFree(sandboxPort), 'the sandbox app is stopped');
    assert.equal(readFileSync(path.join(ws, 'lib/handler.js'), 'utf8'), HANDLER, 'the workspace is untouched');
  });

  test('a failing check fails the checks step and skips the scenarios', async () => {
    const r = await validatePatch({ workspace: ws, config, report, violation: report.violations[0], patch: patch(HANDLER + "throw new Error('boom at load');\n") });
    assert.equal(r.status, 'failed');
    assert.equal(r.steps[2].status, 'failed');
    assert.match(r.steps[2].output, /boom at load/);
    assert.equal(r.steps[3].status, 'skipped');
  });

  test('a fix that breaks another route regresses it', async () => {
    const r = await validatePatch({
      workspace: ws,
      config,
      report,
      violation: report.violations[0],
      patch: patch(HANDLER.replace("'/items'", "'/things'") + "const greet = (name) => 'hello ' + name;\n"),
    });
    assert.equal(r.status, 'failed');
    assert.deepEqual(r.regressed, ['items']);
    assert.deepEqual(r.fixed, ['greeting']);
  });
});
