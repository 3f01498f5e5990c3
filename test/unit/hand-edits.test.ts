/**
 * A person's fix, learned: a failing run keeps the text of the files its failures point at; a
 * later run where that scenario passes after those files changed (and no fix of the tool's was
 * applied to it) finds a hand fix; the edit becomes a plan (an import, a dependency, or the changed
 * text as a find-and-replace with the site's names abstracted); learned from the source `person`,
 * it plans the next similar failure in another file, and does not where its text is not.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../server/src/engine/config';
import type { PlanningContext } from '../../server/src/engine/contracts';
import { FAILING_FILE, learnHandFixes, observeRun, pendingHandFixes, PENDING_FILE, planFromEdit } from '../../server/src/engine/learn/handEdits';
import { patternStoreFor } from '../../server/src/engine/learn/stores';
import type { SmokeReport, Violation } from '../../server/src/engine/model';
import { learnedPlanner } from '../../server/src/engine/plan/learned';
import { listRecords, writeRecord } from '../../server/src/engine/records';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function workspace(files: Record<string, string>): string {
  const d = mkdtempSync(path.join(tmpdir(), 'hand-'));
  dirs.push(d);
  writeFileSync(path.join(d, 'smoke-repair.yaml'), 'app:\n  baseUrl: http://127.0.0.1:9\nscenarios: []\nlearning:\n  userStore: false\n');
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
    writeFileSync(path.join(d, f), text);
  }
  return d;
}

function violation(route: string, file: string, cls: string, message: string): Violation {
  return {
    id: `${route}:500`, scenarioId: route, scenario: `get ${route}`, method: 'POST', path: `/${route}`, expectedStatus: 201, actualStatus: 500,
    failureType: 'RUNTIME', strategy: 'LOGIC', retryable: false, signals: [], message: `POST /${route} → 500 (expected 201): ${cls}: ${message}`,
    location: { file, line: 3 }, locationKind: 'frame', logExcerpt: '', pinned: true, request: { method: 'POST', path: `/${route}` }, response: { status: 500, bodyExcerpt: '' },
    window: { startedAt: 0, endedAt: 1 }, trace: { language: 'python', exceptionClass: cls, message, frames: [{ file, line: 3, function: 'create', inWorkspace: true }, { file: '/usr/lib/python3/site.py', line: 1, function: 'x', inWorkspace: false }], causes: [] },
  } as unknown as Violation;
}

function report(ok: Record<string, boolean>, violations: Violation[]): SmokeReport {
  const scenarios = Object.entries(ok).map(([scenarioId, passed]) => ({ scenarioId, name: `get ${scenarioId}`, ok: passed }));
  return { passRate: 0, passed: scenarios.filter((s) => s.ok).length, total: scenarios.length, scenarios, violations } as unknown as SmokeReport;
}

const KEPT = { id: 'x:500', scenarioId: 'x', scenario: 'x', method: 'GET', path: '/x', expectedStatus: 200, actualStatus: 500, failureType: 'RUNTIME', strategy: 'IMPORT', locationKind: 'frame' };

describe('a hand edit as a plan', () => {
  test('an import added, or an import line that binds one name more: add_import for the name the failure quotes', () => {
    const v = { ...KEPT, message: "GET /x → 500 (expected 200): NameError: name 'crud' is not defined" };
    const changed = planFromEdit([{ file: 'app/routers/users.py', before: 'from .. import schemas\n\nx = 1\n', after: 'from .. import crud, schemas\n\nx = 1\n' }], v);
    assert.ok(typeof changed !== 'string', String(changed));
    assert.deepEqual(changed.operations!.map((o) => [o.type, o.details]), [['add_import', { name: 'crud', module: '..', style: 'named' }]]);
    const v2 = { ...KEPT, message: "GET /x → 500 (expected 200): NameError: name 'uuid' is not defined" };
    const added = planFromEdit([{ file: 'a.py', before: 'import os\n', after: 'import os\nimport uuid\nimport json\n' }], v2);
    assert.ok(typeof added !== 'string');
    assert.deepEqual(added.operations!.map((o) => o.details), [{ name: 'uuid', module: 'uuid', style: 'module' }], 'json, tidied in alongside, is not the fix');
    const js = planFromEdit([{ file: 'routes/a.js', before: "const x = 1;\n", after: "const dayjs = require('dayjs');\nconst x = 1;\n" }], { ...KEPT, message: 'GET /x → 500 (expected 200): ReferenceError: dayjs is not defined' });
    assert.ok(typeof js !== 'string');
    assert.deepEqual(js.operations![0]!.details, { name: 'dayjs', module: 'dayjs', style: 'default' });
  });

  test('a dependency added to requirements.txt or package.json: add_dependency', () => {
    const v = { ...KEPT, message: "GET /x → 500 (expected 200): ModuleNotFoundError: No module named 'slugify'" };
    const req = planFromEdit([{ file: 'requirements.txt', before: 'fastapi\n', after: 'fastapi\npython-slugify>=8\n' }], v);
    assert.ok(typeof req !== 'string');
    assert.deepEqual(req.operations!.map((o) => [o.type, o.details]), [['add_dependency', { name: 'python-slugify', version: '>=8' }]]);
    const pkg = planFromEdit([{ file: 'package.json', before: '{"dependencies": {"express": "^4"}}', after: '{"dependencies": {"express": "^4", "dayjs": "^1.11.0"}}' }], v);
    assert.ok(typeof pkg !== 'string');
    assert.deepEqual(pkg.operations!.map((o) => [o.type, o.details]), [['add_dependency', { name: 'dayjs', version: '^1.11.0' }]]);
  });

  test('any other edit: the changed text and what replaced it, widened by context until it occurs once', () => {
    const before = 'def a(data):\n    return data["title"]\n\ndef b(data):\n    return 1\n';
    const after = 'def a(data):\n    return data.get("title")\n\ndef b(data):\n    return 1\n';
    const changed = planFromEdit([{ file: 'a.py', before, after }], { ...KEPT, message: "GET /x → 500 (expected 200): KeyError: 'title'" });
    assert.ok(typeof changed !== 'string', String(changed));
    assert.deepEqual(changed.operations![0]!.details, { find: '    return data["title"]', replace: '    return data.get("title")' });
    // An inserted line: the line before it (or after it) is the anchor.
    const twice = 'x = 1\nreturn x\nx = 1\nreturn x\nend\n';
    const inserted = planFromEdit([{ file: 'b.py', before: twice, after: 'x = 1\nreturn x\nx = 1\ncheck(x)\nreturn x\nend\n' }], { ...KEPT, message: 'GET /x → 500 (expected 200): ValueError: bad' });
    assert.ok(typeof inserted !== 'string', String(inserted));
    const { find, replace } = inserted.operations![0]!.details as { find: string; replace: string };
    assert.equal(twice.split(find).length, 2, `"${find}" occurs once`);
    assert.equal(twice.replace(find, replace), 'x = 1\nreturn x\nx = 1\ncheck(x)\nreturn x\nend\n');
    assert.match(String(planFromEdit([{ file: 'c.py', before: 'a\na\na\na\na\na\na\na\na\n', after: 'a\na\na\na\nb\na\na\na\na\n' }], { ...KEPT, message: 'm' })), /not around text that occurs once/);
  });
});

describe('hand fixes between two runs', () => {
  test('failing, edited, passing: found, kept until a person says yes, learned from `person`, and offered at the next similar failure elsewhere', async () => {
    const tasks = 'from fastapi import APIRouter\n\ndef create(data):\n    return {"title": data["title"]}\n';
    const ws = workspace({ 'app/tasks.py': tasks, 'app/notes.py': 'def create(data):\n    x = 1\n    return {"due": data["due"]}\n' });
    const v = violation('tasks', 'app/tasks.py', 'KeyError', "'title'");
    assert.deepEqual(await observeRun(ws, report({ tasks: false }, [v])), [], 'nothing to compare with yet');
    assert.ok(existsSync(path.join(ws, FAILING_FILE)));
    // A run that fails again with nothing edited: no hand fix.
    assert.deepEqual(await observeRun(ws, report({ tasks: false }, [v])), []);
    writeFileSync(path.join(ws, 'app/tasks.py'), tasks.replace('data["title"]', 'data.get("title", "")'));
    const found = await observeRun(ws, report({ tasks: true }, []));
    assert.equal(found.length, 1);
    assert.deepEqual(found[0]!.files, ['app/tasks.py']);
    assert.deepEqual(found[0]!.plan.operations.map((o) => [o.type, o.details]), [['modify_code', { find: '    return {"title": data["title"]}', replace: '    return {"title": data.get("title", "")}' }]]);
    assert.match(found[0]!.diff, /^-    return \{"title": data\["title"\]\}$/m);
    assert.deepEqual((await pendingHandFixes(ws)).map((f) => f.id), [found[0]!.id]);

    assert.equal(await learnHandFixes(ws, found, { userStore: false }), 1);
    assert.deepEqual(await pendingHandFixes(ws), [], 'learned: no longer waits');
    const store = await patternStoreFor(ws, { userStore: false });
    const [p] = (await store.list()).patterns;
    assert.deepEqual([p?.sources, p?.planner, p?.fixType], [['person'], 'person', 'modify_code']);
    assert.deepEqual(p?.edit, { operations: [{ type: 'modify_code', file: '{file}', details: { find: '    return {"{0}": data["{0}"]}', replace: '    return {"{0}": data.get("{0}", "")}' } }] });

    // The same kind of failure in another file, with another key: the person's fix, made for this site.
    const loaded = await loadConfig(ws);
    assert.ok(loaded.ok);
    const other = violation('notes', 'app/notes.py', 'KeyError', "'due'");
    const ctx = (file: string, text: string, viol: Violation): PlanningContext => ({ workspace: ws, violation: viol, report: report({ notes: false }, [viol]), config: loaded.config, files: [file], read: async (f) => (f === file ? text : undefined) });
    const out = await learnedPlanner('clean').plan(ctx('app/notes.py', readFileSync(path.join(ws, 'app/notes.py'), 'utf8'), other));
    assert.ok(out.ok, JSON.stringify(out));
    assert.deepEqual(out.plans[0]!.operations!.map((o) => [o.file, o.details]), [['app/notes.py', { find: '    return {"due": data["due"]}', replace: '    return {"due": data.get("due", "")}' }]]);
    assert.match(out.plans[0]!.root_cause, /^known fix \(1 of 1 succeeded\): modify_code for KeyError/);
    // Where the text it replaces is not, it plans nothing, and says why.
    const none = await learnedPlanner('clean').plan(ctx('app/notes.py', 'def create(data):\n    return data\n', other));
    assert.ok(!none.ok);
    assert.match(none.noPlan.reason, /the text its edit replaces is not in app\/notes\.py/);
  });

  test('a scenario a fix of the tool fixed is not a hand fix; `handEdits: never` keeps nothing', async () => {
    const ws = workspace({ 'app/tasks.py': 'x = data["title"]\n' });
    const v = violation('tasks', 'app/tasks.py', 'KeyError', "'title'");
    await observeRun(ws, report({ tasks: false }, [v]));
    writeFileSync(path.join(ws, 'app/tasks.py'), 'x = data.get("title")\n');
    // A repair record of the tool's, applied to that scenario after the failing run.
    await writeRecord(ws, { id: 'run-20261123T000000-01', createdAt: Date.now() + 1, violation: { id: 'tasks:500', scenario: 'get tasks', method: 'POST', path: '/tasks', expectedStatus: 201, actualStatus: 500, failureType: 'RUNTIME', strategy: 'SERVICE', message: 'm' }, applied: true, reason: 'applied', passRateBefore: 0, timings: {} });
    assert.equal((await listRecords(ws)).records.length, 1);
    assert.deepEqual(await observeRun(ws, report({ tasks: true }, [])), []);

    const quiet = workspace({ 'app/tasks.py': 'x = data["title"]\n' });
    assert.deepEqual(await observeRun(quiet, report({ tasks: false }, [v]), { handEdits: 'never' }), []);
    assert.equal(existsSync(path.join(quiet, FAILING_FILE)), false);
    assert.equal(existsSync(path.join(quiet, PENDING_FILE)), false);
  });
});
