import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listCheckpoints } from '../../server/src/engine/apply';
import { listLoopRecords } from '../../server/src/engine/loop';
import { CLI } from '../setup/cli';
import { ensureDocker, ensureExampleUp } from '../setup/docker';
import { copyExample, type ExampleCopy } from '../setup/exampleCopy';
import { freePort } from '../setup/net';

/**
 * Ctrl-C in the middle of an iteration of `repair --loop`, on a copy of the Node example in
 * Docker: the loop stops between steps and records why; every file of the workspace is either as
 * it was or exactly what an applied fix wrote (its checkpoint's hash), and each JavaScript file
 * still parses; no temporary file and no validation sandbox is left behind.
 */

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function files(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel)).flatMap((name) => {
    if (name === '.smoke-repair' || name === 'node_modules') return [];
    const p = rel ? `${rel}/${name}` : name;
    return statSync(path.join(dir, p)).isDirectory() ? files(dir, p) : [p];
  });
}

const sandboxes = () =>
  execFileSync('docker', ['ps', '-a', '--filter', 'label=dev.smoke-repair.validation', '--format', '{{.Names}}'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

describe('cancelling the repair loop mid-iteration', { timeout: 15 * 60_000 }, () => {
  let copy: ExampleCopy;
  before(async () => {
    await ensureDocker();
    await ensureExampleUp('todo-api-node');
    copy = await copyExample('todo-api-node', await freePort());
  });
  after(() => copy?.stop());

  test('Ctrl-C after the first fix is applied: the loop records the cancel and every file is whole', async () => {
    const before = new Map(files(copy.dir).map((f) => [f, sha(readFileSync(path.join(copy.dir, f)))]));
    const sandboxesBefore = new Set(sandboxes());
    const child = spawn(process.execPath, [CLI, 'repair', '--loop', '-w', copy.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // The second failure's repair has begun: one fix may be written, the next is mid-flight.
        if (!interrupted && (stderr.match(/^\s*\d+% Repairing /gm) ?? []).length >= 2) {
          interrupted = true;
          child.kill('SIGINT');
        }
      });
      child.on('exit', (c) => resolve(c));
    });
    assert.ok(interrupted, `the loop ended before it could be interrupted:\n${stderr.slice(-2000)}`);
    assert.equal(code, 1, `failures remain after a cancel\n${stderr.slice(-2000)}`);
    assert.match(stdout, /Stopped: cancelled \(cancelled by the user; files are as the last complete step left them\)/);

    const { loops } = await listLoopRecords(copy.dir);
    assert.equal(loops.at(-1)?.stopReason, 'cancelled');

    // Each file: as it was, or what an applied fix wrote; never in between.
    const written = new Map<string, Set<string>>();
    for (const cp of (await listCheckpoints(copy.dir)).checkpoints) for (const f of cp.files) written.set(f.file, new Set([...(written.get(f.file) ?? []), f.afterHash]));
    const now = files(copy.dir);
    for (const f of now) {
      const hash = sha(readFileSync(path.join(copy.dir, f)));
      if (before.get(f) === hash) continue;
      assert.ok(written.get(f)?.has(hash), `${f} is neither as it was nor what an applied fix wrote`);
    }
    assert.deepEqual(now.filter((f) => !before.has(f) && !written.has(f)), [], 'no new file but those a fix created');
    for (const f of now.filter((x) => x.endsWith('.js'))) execFileSync(process.execPath, ['--check', path.join(copy.dir, f)]);
    assert.deepEqual(sandboxes().filter((s) => !sandboxesBefore.has(s)), [], 'no validation sandbox left');
  });
});
