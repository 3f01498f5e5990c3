import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTwoFilesPatch } from 'diff';
import Docker from 'dockerode';
import { loadConfig } from '../../server/src/engine/config';
import type { SmokeConfig } from '../../server/src/engine/config/schema';
import type { SmokeReport } from '../../server/src/engine/model';
import type { FilePatch, Patch } from '../../server/src/engine/contracts';
import { runSmoke } from '../../server/src/engine/run';
import { validatePatch, VALIDATION_LABEL } from '../../server/src/engine/validate';
import { ensureExampleUp, exampleDetails, type ExampleName } from '../setup/docker';
import { freePort } from '../setup/net';
import { waitForHealth } from '../../server/src/engine/smoke/health';

/**
 * Sandbox validation on real apps in Docker. Each suite copies an example into a temp folder and
 * runs it in a container of its own (the copy's folder bind-mounted, its own port), so the example
 * and its container are left alone: both are checked before and after. The sandbox container is
 * gone after every validation.
 */

const docker = new Docker();

function hashTree(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name === 'node_modules' || name === '__pycache__') continue;
      const full = path.join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else h.update(`${path.relative(dir, full)}\0`).update(readFileSync(full));
    }
  };
  walk(dir);
  return h.digest('hex');
}

function filePatch(workspace: string, file: string, edit: (text: string) => string): FilePatch {
  const before = readFileSync(path.join(workspace, file), 'utf8');
  const after = edit(before);
  assert.notEqual(after, before, `the edit of ${file} changes nothing`);
  const diff = createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, '', '', { context: 3 });
  const lines = diff.split('\n');
  return {
    file,
    before,
    after,
    diff,
    added: lines.filter((l) => l.startsWith('+') && !l.startsWith('+++')).length,
    removed: lines.filter((l) => l.startsWith('-') && !l.startsWith('---')).length,
  };
}

function patchOf(files: FilePatch[]): Patch {
  const sorted = [...files].sort((a, b) => (a.file < b.file ? -1 : 1));
  return {
    files: sorted,
    diff: sorted.map((f) => f.diff).join(''),
    stats: { files: sorted.length, added: sorted.reduce((n, f) => n + f.added, 0), removed: sorted.reduce((n, f) => n + f.removed, 0), bytes: 0 },
  };
}

async function sandboxContainers(): Promise<string[]> {
  return (await docker.listContainers({ all: true, filters: { label: [VALIDATION_LABEL] } })).map((c) => c.Names.join(','));
}

interface Fixture {
  workspace: string;
  config: SmokeConfig;
  report: SmokeReport;
  exampleState: () => Promise<string>;
  exampleHash: string;
  exampleBefore: string;
  cleanup: () => Promise<void>;
}

/** A copy of the example, run in its own container (copy's source folder bind-mounted) on a free port; smoke run once. */
async function setUp(example: ExampleName, mountDir: string, containerDir: string, cmd: (port: number) => string[], base: string): Promise<Fixture> {
  const d = exampleDetails(example);
  await ensureExampleUp(example);
  const exampleHash = hashTree(d.dir);
  const exampleState = async () => {
    const info = await docker.getContainer(d.container).inspect();
    return `${info.Id} ${info.State.StartedAt} ${info.State.Running}`;
  };
  const exampleBefore = await exampleState();
  const workspace = mkdtempSync(path.join(tmpdir(), `validate-${example}-`));
  cpSync(d.dir, workspace, { recursive: true, filter: (p) => !p.includes('node_modules') && !p.includes('__pycache__') });
  const port = await freePort();
  const name = `smoke-validate-test-${example}-${process.pid}`;
  await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
  const c = await docker.createContainer({
    name,
    Image: d.image,
    Cmd: cmd(port),
    Env: [`PORT=${port}`],
    HostConfig: { NetworkMode: 'host', Binds: [`${path.join(workspace, mountDir)}:${containerDir}`] },
  });
  await c.start();
  await waitForHealth(`http://127.0.0.1:${port}`, '/health', 60_000);
  const yaml = readFileSync(path.join(workspace, 'smoke-repair.yaml'), 'utf8')
    .replace(/baseUrl: http:\/\/127\.0\.0\.1:\d+/, `baseUrl: http://127.0.0.1:${port}`)
    .replace(/  docker:\n(    .*\n)+/, `  docker:\n    container: ${name}\n    buildArgs: { BASE: "${base}" }\n`);
  writeFileSync(path.join(workspace, 'smoke-repair.yaml'), yaml);
  const loaded = await loadConfig(workspace);
  assert.ok(loaded.ok, 'the copy\'s configuration loads');
  const report = await runSmoke({ workspace });
  return {
    workspace,
    config: loaded.config,
    report,
    exampleState,
    exampleHash,
    exampleBefore,
    cleanup: async () => {
      await c.remove({ force: true }).catch(() => undefined);
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

function violationFor(f: Fixture, scenario: string) {
  const v = f.report.violations.find((x) => x.scenario === scenario);
  assert.ok(v, `a violation for "${scenario}" (got: ${f.report.violations.map((x) => x.scenario).join(', ')})`);
  return v;
}

function scenarioId(f: Fixture, name: string): string {
  const r = f.report.scenarios.find((s) => s.name === name);
  assert.ok(r, `scenario "${name}"`);
  return r.scenarioId;
}

async function validate(f: Fixture, scenario: string, patch: Patch) {
  const workspaceBefore = hashTree(f.workspace);
  const result = await validatePatch({ workspace: f.workspace, config: f.config, report: f.report, violation: violationFor(f, scenario), patch });
  assert.equal(hashTree(f.workspace), workspaceBefore, 'the workspace is untouched');
  assert.deepEqual(await sandboxContainers(), [], 'no sandbox container is left');
  return result;
}

function step(result: Awaited<ReturnType<typeof validatePatch>>, name: string) {
  const s = result.steps.find((x) => x.name === name);
  assert.ok(s, `step ${name}`);
  return s;
}

describe('validatePatch on shop-api (FastAPI in Docker)', { timeout: 15 * 60_000 }, () => {
  let f: Fixture;
  before(async () => {
    f = await setUp('shop-api', 'app', '/app/app', (port) => ['/bin/sh', '-c', `uvicorn app.main:app --host 127.0.0.1 --port ${port}`], 'smoke-repair/python-base:1');
  });
  after(async () => {
    await f?.cleanup();
    if (f) {
      assert.equal(await f.exampleState(), f.exampleBefore, 'the example container on :8000 was not restarted or replaced');
      assert.equal(hashTree(exampleDetails('shop-api').dir), f.exampleHash, 'the example files are untouched');
    }
  });

  test('adding `import uuid` fixes pay order, nothing regresses', async () => {
    const patch = patchOf([filePatch(f.workspace, 'app/routers/orders.py', (t) => t.replace('from fastapi import', 'import uuid\n\nfrom fastapi import'))]);
    const r = await validate(f, 'pay order', patch);
    assert.equal(r.status, 'passed', JSON.stringify(r.steps, null, 1));
    assert.deepEqual(r.steps.map((s) => [s.name, s.status]), [['apply', 'passed'], ['parse', 'passed'], ['checks', 'skipped'], ['scenarios', 'passed']]);
    assert.ok(r.fixed.includes(scenarioId(f, 'pay order')), `fixed: ${r.fixed}`);
    assert.deepEqual(r.regressed, []);
  });

  test('a patch that breaks syntax fails the parse step, naming the file and line', async () => {
    const patch = patchOf([filePatch(f.workspace, 'app/routers/orders.py', (t) => t.replace('from fastapi import', 'import uuid(\n\nfrom fastapi import'))]);
    const r = await validate(f, 'pay order', patch);
    assert.equal(r.status, 'failed');
    assert.equal(step(r, 'parse').status, 'failed');
    assert.match(step(r, 'parse').output, /app\/routers\/orders\.py:3/);
    assert.equal(step(r, 'scenarios').status, 'skipped');
  });

  test('a patch that breaks another route lists it as regressed', async () => {
    const patch = patchOf([
      filePatch(f.workspace, 'app/routers/orders.py', (t) => t.replace('from fastapi import', 'import uuid\n\nfrom fastapi import')),
      filePatch(f.workspace, 'app/routers/products.py', (t) => t.replace('@router.get("", response_model=list[ProductOut])', '@router.get("/all", response_model=list[ProductOut])')),
    ]);
    const r = await validate(f, 'pay order', patch);
    assert.equal(r.status, 'failed');
    assert.deepEqual(r.regressed, [scenarioId(f, 'list products')]);
    assert.ok(r.fixed.includes(scenarioId(f, 'pay order')));
  });

  test('a patch the workspace no longer matches fails the apply step', async () => {
    const fp = filePatch(f.workspace, 'app/routers/orders.py', (t) => t.replace('from fastapi import', 'import uuid\n\nfrom fastapi import'));
    const r = await validate(f, 'pay order', patchOf([{ ...fp, before: fp.before + '\n# edited since\n' }]));
    assert.equal(r.status, 'failed');
    assert.equal(step(r, 'apply').status, 'failed');
    assert.match(step(r, 'apply').output, /app\/routers\/orders\.py:\d+: changed since the patch was made/);
  });

  test('python-slugify in requirements.txt: the image is rebuilt from the sandbox and the slug scenario passes', async () => {
    const patch = patchOf([filePatch(f.workspace, 'requirements.txt', (t) => t + 'python-slugify==8.0.4\n')]);
    const imagesBefore = (await docker.listImages({ filters: { label: [VALIDATION_LABEL] } })).length;
    const r = await validate(f, 'product slug', patch);
    assert.equal(r.status, 'passed', JSON.stringify(r.steps, null, 1));
    assert.match(step(r, 'scenarios').output, /built smoke-repair-validation:/);
    assert.ok(r.fixed.includes(scenarioId(f, 'product slug')));
    assert.deepEqual(r.regressed, []);
    assert.equal((await docker.listImages({ filters: { label: [VALIDATION_LABEL] } })).length, imagesBefore, 'the sandbox image is removed');
  });

  test('an unknown package in requirements.txt: the build fails, so the step fails', async () => {
    const patch = patchOf([filePatch(f.workspace, 'requirements.txt', (t) => t + 'python-slugify===0.0.0.404\n')]);
    const r = await validate(f, 'product slug', patch);
    assert.equal(r.status, 'failed');
    assert.equal(step(r, 'scenarios').status, 'failed');
    assert.match(step(r, 'scenarios').output, /does not build/);
  });
});

describe('validatePatch on todo-api-node (Express in Docker)', { timeout: 15 * 60_000 }, () => {
  let f: Fixture;
  before(async () => {
    f = await setUp('todo-api-node', 'src', '/app/src', () => ['node', 'src/server.js'], 'smoke-repair/node-base:1');
  });
  after(async () => {
    await f?.cleanup();
    if (f) {
      assert.equal(await f.exampleState(), f.exampleBefore, 'the example container on :3000 was not restarted or replaced');
      assert.equal(hashTree(exampleDetails('todo-api-node').dir), f.exampleHash, 'the example files are untouched');
    }
  });

  test('requiring normalizeTitle fixes rename list, nothing regresses', async () => {
    const patch = patchOf([
      filePatch(f.workspace, 'src/routes/lists.js', (t) => t.replace("const { lists, newId, getList } = require('../store');", "const { lists, newId, getList } = require('../store');\nconst { normalizeTitle } = require('../text');")),
    ]);
    const r = await validate(f, 'rename list', patch);
    assert.equal(r.status, 'passed', JSON.stringify(r.steps, null, 1));
    assert.ok(r.fixed.includes(scenarioId(f, 'rename list')));
    assert.deepEqual(r.regressed, []);
  });

  test('a JS syntax error fails the parse step with file and line', async () => {
    const patch = patchOf([filePatch(f.workspace, 'src/routes/lists.js', (t) => t.replace("const router = express.Router();", 'const router = express.Router(;'))]);
    const r = await validate(f, 'rename list', patch);
    assert.equal(r.status, 'failed');
    assert.match(step(r, 'parse').output, /src\/routes\/lists\.js:6/);
  });
});
