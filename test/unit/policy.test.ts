import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ApplyError, applyFix, sha256 } from '../../server/src/engine/apply';
import { generatePatch, type ExecutorMap } from '../../server/src/engine/patch';
import { parsePlan, type FixPlan } from '../../server/src/engine/plan';
import { patchPolicy, planPolicy, SAFE_THRESHOLD } from '../../server/src/engine/policy';
import type { Patch, PlannedFix } from '../../server/src/engine/contracts';

const EXECUTORS: ExecutorMap = {
  modify_code: (op, ctx) => ctx.text.replace(op.details.find, op.details.replace),
  add_import: (op, ctx) => `import ${op.details.module}\n${ctx.text}`,
  add_dependency: (op, ctx) => `${ctx.text}${op.details.name}\n`,
};

function plan(files: string[], ops: Array<Record<string, unknown>> = [], over: Record<string, unknown> = {}): FixPlan {
  const operations = ops.length ? ops : [{ type: 'add_import', file: files[0], rationale: 'r', details: { name: 'uuid', module: 'uuid', style: 'module' } }];
  const r = parsePlan({ root_cause: 'r', category: 'IMPORT', confidence: 0.9, files, operations, ...over });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.plan;
}

function ws(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'policy-'));
  mkdirSync(path.join(dir, 'app'));
  writeFileSync(path.join(dir, 'app/main.py'), 'app = 1\n');
  return dir;
}

/** The policy decision, then proof that an apply of the same would write nothing. */
async function assertBlocked(dir: string, p: FixPlan, reason: RegExp) {
  const d = await planPolicy(p, { workspace: dir });
  assert.equal(d.allowed, false);
  assert.equal(d.label, 'needs-review');
  assert.equal(d.dangerScore, 100);
  assert.ok(d.reasons.some((r) => reason.test(r)), d.reasons.join('\n'));
  const before = readdirSync(dir, { recursive: true }).sort();
  const fix: PlannedFix = { id: 'f', violationId: 'v', planner: 'test', plan: p, base: Object.fromEntries(p.files.map((f) => [f, null])), createdAt: 0 };
  const patch = await generatePatch(p, async () => undefined, EXECUTORS);
  await assert.rejects(applyFix({ workspace: dir, fix, patch }), (e: unknown) => e instanceof ApplyError && e.code === 'blocked');
  assert.deepEqual(readdirSync(dir, { recursive: true }).sort(), before, 'nothing written');
}

describe('policy: blocked paths', () => {
  test('outside the workspace', async () => {
    const dir = ws();
    // A plan can only name relative paths; the policy also resolves what a patch names.
    const d = await patchPolicy(
      { files: [{ file: '../escape.py', before: null, after: 'x\n', diff: '', added: 1, removed: 0 }], diff: '', stats: { files: 1, added: 1, removed: 0, bytes: 0 } },
      plan(['app/main.py']),
      { workspace: dir },
    );
    assert.equal(d.allowed, false);
    assert.ok(d.reasons.includes('blocked: ../escape.py: outside the workspace'), d.reasons.join('\n'));
  });

  test('a symbolic link that leads out', async () => {
    const dir = ws();
    const outside = mkdtempSync(path.join(tmpdir(), 'policy-outside-'));
    symlinkSync(outside, path.join(dir, 'linked'));
    await assertBlocked(dir, plan(['linked/new.py']), /^blocked: linked\/new\.py: linked is a symbolic link that leads out of the workspace/);
    assert.deepEqual(readdirSync(outside), [], 'nothing written through the link');
    // A link that stays inside is fine.
    symlinkSync(path.join(dir, 'app'), path.join(dir, 'app-link'));
    assert.equal((await planPolicy(plan(['app-link/x.py']), { workspace: dir })).allowed, true);
  });

  test('.git/ anywhere, env and secret files, CI definitions, the state folder', async () => {
    const dir = ws();
    await assertBlocked(dir, plan(['.git/config']), /^blocked: \.git\/config: inside \.git\//);
    await assertBlocked(dir, plan(['vendor/lib/.git/HEAD']), /inside \.git\//);
    for (const f of ['.env', 'app/.env.local', 'certs/server.pem', 'keys/id_rsa', 'config/secrets.yaml', 'credentials.json', 'app/tls.key']) {
      await assertBlocked(dir, plan([f]), new RegExp(`^blocked: ${f.replace(/\./g, '\\.')}: an env or secret file$`));
    }
    for (const f of ['.github/workflows/ci.yml', '.gitlab-ci.yml', '.circleci/config.yml', 'Jenkinsfile', 'azure-pipelines.yml']) {
      await assertBlocked(dir, plan([f]), /: a CI definition$/);
    }
    await assertBlocked(dir, plan(['.smoke-repair/runs/x.json']), /the repair tool's own records/);
  });

  test('a patch touching a file that is not in the plan', async () => {
    const dir = ws();
    const p = plan(['app/main.py']);
    const patch: Patch = await generatePatch(p, async (f) => (f === 'app/main.py' ? 'app = 1\n' : undefined), EXECUTORS);
    const sneaky: Patch = { ...patch, files: [...patch.files, { ...patch.files[0], file: 'app/other.py' }] };
    const d = await patchPolicy(sneaky, p, { workspace: dir });
    assert.equal(d.allowed, false);
    assert.equal(d.reasons[0], 'blocked: app/other.py: the patch touches a file that is not in the plan');
    const fix: PlannedFix = { id: 'f', violationId: 'v', planner: 't', plan: p, base: { 'app/main.py': sha256('app = 1\n') }, createdAt: 0 };
    await assert.rejects(applyFix({ workspace: dir, fix, patch: sneaky }), /app\/other\.py is not one of the plan's files; nothing was written/);
  });
});

describe('policy: score and label', () => {
  test(`a one-line import is safe (at or below ${SAFE_THRESHOLD}); reasons in a fixed order`, async () => {
    const dir = ws();
    const p = plan(['app/main.py']);
    const patch = await generatePatch(p, async () => 'app = 1\n', EXECUTORS);
    const d = await patchPolicy(patch, p, { workspace: dir });
    assert.deepEqual(d, { allowed: true, dangerScore: 2, label: 'safe', reasons: ['1 add_import operation (+2)', `danger score 2 (safe at or below ${SAFE_THRESHOLD})`] });
    assert.deepEqual(await patchPolicy(patch, p, { workspace: dir }), d);
  });

  test('the same one-line import planned by a language model goes to a person', async () => {
    const dir = ws();
    const p = plan(['app/main.py']);
    const patch = await generatePatch(p, async () => 'app = 1\n', EXECUTORS);
    const d = await patchPolicy(patch, p, { workspace: dir, planner: 'llm' });
    assert.equal(d.allowed, true);
    assert.equal(d.label, 'needs-review');
    assert.equal(d.dangerScore, SAFE_THRESHOLD + 1 + 2);
    assert.equal(d.reasons[0], `planned by a language model: a person reviews it (+${SAFE_THRESHOLD + 1})`);
    assert.equal((await planPolicy(p, { workspace: dir, planner: 'rules' })).label, 'safe');
  });

  test('dangerous calls added by the patch, an unknown dependency, sensitive files raise the score', async () => {
    const dir = ws();
    const code = plan(['app/main.py'], [{ type: 'modify_code', file: 'app/main.py', rationale: 'r', details: { find: 'app = 1', replace: 'app = eval(input())\nimport subprocess' } }]);
    const patch = await generatePatch(code, async () => 'app = 1\n', EXECUTORS);
    const d = await patchPolicy(patch, code, { workspace: dir });
    assert.equal(d.label, 'needs-review');
    assert.ok(d.reasons.includes('app/main.py: adds eval( (+40)'));
    assert.ok(d.reasons.includes('app/main.py: adds subprocess (+40)'));
    // A call that was already there and stays is not "added".
    const keep = plan(['app/main.py'], [{ type: 'modify_code', file: 'app/main.py', rationale: 'r', details: { find: 'x = 1', replace: 'x = 2' } }]);
    const keepPatch = await generatePatch(keep, async () => 'y = eval(s); x = 1\n', EXECUTORS);
    assert.ok(!(await patchPolicy(keepPatch, keep, { workspace: dir })).reasons.some((r) => r.includes('eval')));

    const dep = plan(['requirements.txt'], [{ type: 'add_dependency', file: 'requirements.txt', rationale: 'r', evidence: ['unknown-package: reqeusts'], details: { name: 'reqeusts' } }]);
    const dd = await planPolicy(dep, { workspace: dir });
    assert.equal(dd.label, 'needs-review');
    assert.ok(dd.reasons.includes('dependency "reqeusts" is not a known package (+35)'));

    // A route path that other methods share moves them too: a person decides.
    const route = plan(['routes/books.js'], [
      { type: 'update_route', file: 'routes/books.js', rationale: 'r', evidence: ['shared-route: "/book" also declares PUT, DELETE at routes/books.js:12; they move with it'], details: { method: 'GET', from: '/book', to: '/books' } },
    ]);
    const rd = await planPolicy({ ...route, confidence: 0.95 }, { workspace: dir });
    assert.equal(rd.label, 'needs-review', rd.reasons.join('; '));
    assert.ok(rd.reasons.some((r) => /^the route changed also serves other methods .*\(\+25\)$/.test(r)), rd.reasons.join('; '));

    const mig = plan(['migrations/0002_add.py', 'Dockerfile'], [
      { type: 'modify_code', file: 'migrations/0002_add.py', rationale: 'r', details: { find: 'a', replace: 'b' } },
    ]);
    const md = await planPolicy(mig, { workspace: dir });
    assert.ok(md.reasons.includes('migrations/0002_add.py is a database migration (+20)'));
    assert.ok(md.reasons.includes('Dockerfile is a container definition (+20)'));
    assert.equal(md.label, 'needs-review');
  });
});
