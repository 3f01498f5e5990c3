/**
 * The launcher's own behaviour, against a stand-in server program (a real process that listens on
 * a real port): it retries once when the start-up handshake times out, gives up on other early
 * exits with the program's output, and stops the whole process group.
 *
 *   node --import tsx --test test/e2e/codeServer.test.ts
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCodeServer } from './codeServer';

const standIns: string[] = [];
after(() => {
  for (const d of standIns) rmSync(d, { recursive: true, force: true });
});

/** A package folder whose `out/node/entry.js` behaves as told by `mode`. */
function standIn(mode: 'timeout-then-listen' | 'crash' | 'listen-with-child'): { dir: string; childPidFile: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'smoke-repair-launcher-'));
  standIns.push(dir);
  mkdirSync(path.join(dir, 'out', 'node'), { recursive: true });
  const attempts = path.join(dir, 'attempts');
  const childPidFile = path.join(dir, 'child.pid');
  writeFileSync(
    path.join(dir, 'out', 'node', 'entry.js'),
    `
const fs = require('node:fs');
const http = require('node:http');
const { spawn } = require('node:child_process');
const mode = ${JSON.stringify(mode)};
const n = fs.existsSync(${JSON.stringify(attempts)}) ? Number(fs.readFileSync(${JSON.stringify(attempts)}, 'utf8')) + 1 : 1;
fs.writeFileSync(${JSON.stringify(attempts)}, String(n));
if (process.argv.includes('--install-extension')) process.exit(0);
if (mode === 'crash') { console.error('error something else broke'); process.exit(3); }
if (mode === 'timeout-then-listen' && n === 1) { console.error('[x] error Error: timed out'); process.exit(1); }
if (mode === 'listen-with-child') {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  fs.writeFileSync(${JSON.stringify(childPidFile)}, String(c.pid));
}
const s = http.createServer((req, res) => res.end('ok'));
s.listen(0, '127.0.0.1', () => console.log('[x] info  HTTP server listening on http://127.0.0.1:' + s.address().port + '/'));
`,
  );
  return { dir, childPidFile };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('retries once when the handshake times out, then serves HTTP', async () => {
  const { dir } = standIn('timeout-then-listen');
  const lines: string[] = [];
  const cs = await startCodeServer({ packageDir: dir, workspace: dir, listenTimeoutMs: 30_000, onOutput: (l) => lines.push(l) });
  try {
    assert.equal(readFileSync(path.join(dir, 'attempts'), 'utf8'), '2');
    assert.ok(lines.some((l) => /retrying once/.test(l)));
    const res = await fetch(cs.url);
    assert.equal(await res.text(), 'ok');
  } finally {
    await cs.stop();
  }
});

test('does not retry other early exits and reports the output', async () => {
  const { dir } = standIn('crash');
  await assert.rejects(
    startCodeServer({ packageDir: dir, workspace: dir, listenTimeoutMs: 30_000 }),
    (err: Error) => /exited with code 3/.test(err.message) && /something else broke/.test(err.message),
  );
  assert.equal(readFileSync(path.join(dir, 'attempts'), 'utf8'), '1');
});

test('stop() ends the server and the processes it started, and removes its data folders', async () => {
  const { dir, childPidFile } = standIn('listen-with-child');
  const cs = await startCodeServer({ packageDir: dir, workspace: dir, listenTimeoutMs: 30_000 });
  const child = Number(readFileSync(childPidFile, 'utf8'));
  assert.ok(alive(cs.pid) && alive(child));
  assert.ok(existsSync(cs.userDataDir));
  assert.ok(existsSync(path.join(cs.userDataDir, 'User', 'settings.json')));
  await cs.stop();
  assert.ok(!alive(cs.pid), 'server still running');
  assert.ok(!alive(child), 'server child still running');
  assert.ok(!existsSync(cs.userDataDir));
});

test('a missing installation is a clear error', async () => {
  await assert.rejects(
    startCodeServer({ packageDir: '/nonexistent/code-server', workspace: tmpdir() }),
    /entry\.js: not found; expected an installed code-server/,
  );
});
