import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import Docker from 'dockerode';
import { removeValidationLeftovers, VALIDATION_LABEL, VALIDATION_OWNER_LABEL } from '../../server/src/engine/validate';
import { ensureDocker } from '../setup/docker';
import { LspEditor } from '../setup/lspEditor';

/**
 * Validation containers never outlive their owner: the sweep removes those of a dead owner (and of
 * the owner on its way out), leaves a live owner's and anything without the validation label alone;
 * the reaper the language server starts on exit does the same from outside.
 */

const docker = new Docker();
const made: string[] = [];

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

async function container(name: string, labels: Record<string, string>): Promise<string> {
  const c = await docker.createContainer({ name, Image: 'smoke-repair/python-base:1', Cmd: ['true'], Labels: labels, HostConfig: { NetworkMode: 'host' } });
  made.push(c.id);
  return c.id;
}

async function exists(id: string): Promise<boolean> {
  return docker.getContainer(id).inspect().then(() => true, () => false);
}

before(async () => {
  await ensureDocker();
  spawnSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'setup-docker.sh'), 'bases'], { stdio: 'inherit' });
});
after(async () => {
  for (const id of made) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
});

test('the sweep removes a dead owner\'s validation containers and nothing else', async () => {
  const tag = `${process.pid}-${Date.now()}`;
  const dead = await container(`leftover-dead-${tag}`, { [VALIDATION_LABEL]: '1', [VALIDATION_OWNER_LABEL]: String(deadPid()) });
  const live = await container(`leftover-live-${tag}`, { [VALIDATION_LABEL]: '1', [VALIDATION_OWNER_LABEL]: String(process.pid) });
  const other = await container(`not-validation-${tag}`, { [VALIDATION_OWNER_LABEL]: String(deadPid()) });
  const removed = await removeValidationLeftovers({ owner: -1 });
  assert.ok(removed.includes(`container leftover-dead-${tag}`), removed.join(', '));
  assert.equal(await exists(dead), false);
  assert.equal(await exists(live), true, 'a live owner keeps its containers');
  assert.equal(await exists(other), true, 'no validation label: never touched');
  // The owner on its way out removes its own.
  await removeValidationLeftovers({ owner: process.pid });
  assert.equal(await exists(live), false);
});

test('the reaper started by an exiting language server removes what it left', async () => {
  const built = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'esbuild.mjs')], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const owner = deadPid();
  const id = await container(`leftover-reaped-${process.pid}-${Date.now()}`, { [VALIDATION_LABEL]: '1', [VALIDATION_OWNER_LABEL]: String(owner) });
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'reaper.js'), String(owner)], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(await exists(id), false);
});

test('the reaper\'s sweep removes the leftovers of owners no longer running and says what it removed', async () => {
  const name = `leftover-swept-${process.pid}-${Date.now()}`;
  const id = await container(name, { [VALIDATION_LABEL]: '1', [VALIDATION_OWNER_LABEL]: String(deadPid()) });
  const live = await container(`${name}-live`, { [VALIDATION_LABEL]: '1', [VALIDATION_OWNER_LABEL]: String(process.pid) });
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'reaper.js'), 'sweep'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^removed container ${name}$`, 'm'));
  assert.equal(await exists(id), false);
  assert.equal(await exists(live), true, 'a running owner keeps its containers');
});

test('a language server that starts sweeps what earlier servers left (through the reaper)', async () => {
  const name = `leftover-at-start-${process.pid}-${Date.now()}`;
  const id = await container(name, { [VALIDATION_LABEL]: '1', [VALIDATION_OWNER_LABEL]: String(deadPid()) });
  const ws = mkdtempSync(path.join(tmpdir(), 'leftover-ws-'));
  writeFileSync(path.join(ws, 'smoke-repair.yaml'), 'version: 1\napp:\n  baseUrl: http://127.0.0.1:9\n');
  const editor = new LspEditor();
  try {
    await editor.initialize(ws);
    await editor.until(() => editor.log.some((l) => l.includes('removed what earlier validations left behind') && l.includes(name)), `the start-up sweep to remove ${name}`, 30_000);
    assert.equal(await exists(id), false);
  } finally {
    await editor.close();
    rmSync(ws, { recursive: true, force: true });
  }
});
