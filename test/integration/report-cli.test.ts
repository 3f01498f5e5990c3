import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Log, Result } from 'sarif';
import { loopRecordSchema } from '../../server/src/engine/loop';
import { ensureDocker, ensureExampleUp, REPO_ROOT } from '../setup/docker';
import { copyExample, type ExampleCopy } from '../setup/exampleCopy';
import { freePort } from '../setup/net';
import { runCli } from '../setup/cli';
import { junitXsdErrors, parseJunit, sarifSchemaErrors } from '../setup/reportSchemas';

/**
 * `smoke-repair report` from the command line on a copy of shop-api in Docker: SARIF valid against
 * the 2.1.0 schema whose results and code flows point at the copy's real files and lines (the ones
 * examples/shop-api/FAULTS.md names), JUnit valid against the Jenkins XSD written atomically to
 * --output, and, after a repair loop, a Markdown and a JSON report that say what the loop fixed.
 */

const cli = (args: string[]) => runCli(args, { NO_COLOR: '1', GITHUB_WORKSPACE: '' });

/** The faults that raise, where they raise and what that line of the copy says (FAULTS.md). */
const RAISED: Record<string, { where: string; text: string }> = {
  'product-slug:500': { where: 'app/routers/products.py:41', text: 'slugify' },
  'get-customer:500': { where: 'app/routers/customers.py:31', text: 'import ipdb' },
  'add-item:500': { where: 'app/routers/carts.py:46', text: 'data["price"]' },
  'pay-order:500': { where: 'app/routers/orders.py:43', text: 'uuid.uuid4()' },
};

describe('report on a copy of shop-api', { timeout: 25 * 60_000 }, () => {
  let copy: ExampleCopy;
  before(async () => {
    await ensureDocker();
    await ensureExampleUp('shop-api');
    copy = await copyExample('shop-api', await freePort());
  });
  after(() => copy?.stop());

  const lineOf = (file: string, line: number) => {
    const full = path.join(copy.dir, file);
    assert.ok(existsSync(full), `${file} is a file of the copy`);
    const lines = readFileSync(full, 'utf8').split('\n');
    assert.ok(line >= 1 && line <= lines.length, `${file}:${line} is a line of the file (${lines.length} lines)`);
    return lines[line - 1]!;
  };

  test('--format sarif: valid SARIF 2.1.0, each failure at the line of the copy that raised it, its frames as a code flow', async () => {
    const out = await cli(['report', '--format', 'sarif', '--workspace', copy.dir, '--quiet']);
    assert.equal(out.code, 1, out.stderr);
    assert.equal(out.stderr, '');
    const log = JSON.parse(out.stdout) as Log;
    assert.deepEqual(sarifSchemaErrors(log), []);
    const sarifRun = log.runs[0]!;
    assert.equal(sarifRun.originalUriBaseIds!['%SRCROOT%']!.uri, `file://${copy.dir}/`);
    assert.equal(sarifRun.tool.driver.version, JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
    const results = sarifRun.results!;
    assert.equal(results.length, 8, results.map((r) => r.message.text).join('\n'));
    const byId = new Map(results.map((r) => [r.partialFingerprints!['smokeRepairViolation/v1'], r] as [string, Result]));
    for (const [id, fault] of Object.entries(RAISED)) {
      const r = byId.get(id);
      assert.ok(r, `a result for ${id}`);
      const loc = r.locations![0]!.physicalLocation!;
      assert.equal(loc.artifactLocation!.uriBaseId, '%SRCROOT%');
      assert.equal(`${loc.artifactLocation!.uri}:${loc.region!.startLine}`, fault.where);
      assert.ok(lineOf(loc.artifactLocation!.uri!, loc.region!.startLine!).includes(fault.text), `${fault.where} says ${fault.text}`);
      const steps = r.codeFlows![0]!.threadFlows[0]!.locations;
      assert.deepEqual(steps.at(-1)!.location!.physicalLocation, loc, 'the flow ends where the exception was raised');
      assert.ok(steps.at(-1)!.executionOrder! > 3, "after the framework's frames");
      for (const s of steps) lineOf(s.location!.physicalLocation!.artifactLocation!.uri!, s.location!.physicalLocation!.region!.startLine!);
    }
    // The failures without a trace: at the route handler in the copy.
    for (const r of results.filter((x) => !x.codeFlows)) {
      const loc = r.locations![0]!.physicalLocation!;
      assert.match(lineOf(loc.artifactLocation!.uri!, loc.region!.startLine!), /@router\.|def /, `${r.ruleId} at a handler`);
    }
    assert.deepEqual(new Set(results.map((r) => r.ruleId)), new Set(['ModuleNotFoundError', 'KeyError', 'NameError', 'RUNTIME/ROUTE', 'RUNTIME/SERVICE', 'TEST_ASSERT/SERVICE']));
  });

  test('--format junit --output FILE: valid against the Jenkins JUnit XSD, a test case per scenario, failures at real lines', async () => {
    const file = path.join(copy.dir, 'reports', 'smoke.xml');
    const out = await cli(['report', '--format', 'junit', '--output', file, '--workspace', copy.dir]);
    assert.equal(out.code, 1, out.stderr);
    assert.equal(out.stdout, '', 'the report goes to the file only');
    assert.match(out.stderr, new RegExp(`Wrote the junit report to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
    const xml = readFileSync(file, 'utf8');
    assert.deepEqual(await junitXsdErrors(xml), []);
    const suite = parseJunit(xml);
    assert.deepEqual([suite.name, suite.tests, suite.failures, suite.skipped], ['smoke-repair', 19, 8, 0]);
    assert.equal(suite.properties.passRate, '57.9%');
    const failing = suite.cases.filter((c) => c.failure);
    assert.equal(failing.length, 8);
    for (const c of failing) {
      const at = /\nat (\S+):(\d+) \((frame|handler)\)\n/.exec(c.failure!.text);
      assert.ok(at, c.failure!.text.slice(0, 300));
      lineOf(at[1]!, Number(at[2]));
    }
    const addItem = suite.cases.find((c) => c.name === 'add item')!;
    assert.equal(addItem.classname, 'POST /carts/{cart_id}/items');
    assert.equal(addItem.failure!.type, 'KeyError');
    assert.match(addItem.failure!.text, /Traceback \(most recent call last\):[^]*KeyError: 'price'/);
  });

  test('after a repair loop: the Markdown and JSON reports say what it fixed and why it stopped', async () => {
    const loopRun = await cli(['repair', '--loop', '--max-iterations', '1', '--json', '--quiet', '--workspace', copy.dir]);
    assert.ok(loopRun.code === 0 || loopRun.code === 1, loopRun.stderr.slice(-2000));
    const loop = loopRecordSchema.parse(JSON.parse(loopRun.stdout));
    const it = loop.iterations[0]!;
    assert.ok(it.applied.length > 0, JSON.stringify(it));

    const json = await cli(['report', '--format', 'json', '--workspace', copy.dir, '--quiet']);
    assert.equal(json.code, 1, json.stderr);
    const doc = JSON.parse(json.stdout) as { version: number; smoke: { passed: number; total: number }; loop: unknown; records: Array<{ id: string; applied: boolean }> };
    assert.equal(doc.version, 1);
    assert.deepEqual(loopRecordSchema.parse(doc.loop), loop);
    assert.deepEqual(doc.records.map((r) => r.id), it.records);
    assert.equal(doc.smoke.passed, it.passedAfter, 'the report runs smoke again and sees the fixes');

    const md = await cli(['report', '--format', 'markdown', '--workspace', copy.dir, '--quiet']);
    assert.equal(md.code, 1, md.stderr);
    assert.match(md.stdout, new RegExp(`^# Smoke Repair: ${it.passedAfter} of 19 scenarios pass`));
    assert.ok(md.stdout.includes(`\`${loop.id}\``));
    assert.match(md.stdout, new RegExp(`^\\| 1 \\| ${it.passedBefore}/19 \\([\\d.]+%\\) \\| ${it.passedAfter}/19 \\([\\d.]+%\\) \\| `, 'm'));
    assert.match(md.stdout, new RegExp(`stopped: \\*\\*${loop.stopReason}\\*\\*`));
    assert.match(md.stdout, new RegExp(`^## Fixes recorded \\(${it.applied.length} applied of ${it.records.length}\\)$`, 'm'));
    for (const type of Object.keys(it.fixesByType)) assert.ok(md.stdout.includes(type), `fixes by type name ${type}`);
  });
});
