/**
 * The CI reports (`smoke-repair report --format json|sarif|junit|markdown`) on the smoke runs the
 * examples really produce (test/fixtures/reports/*-smoke.json: `smoke --json` on each example as
 * seeded, every scenario's result and every violation with its trace) with a repair loop and its
 * records: SARIF validated against the SARIF 2.1.0 JSON schema, JUnit against the Jenkins JUnit
 * XSD and read back by an XML parser, hostile strings and a failure without a trace in each.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { Log, Result } from 'sarif';
import { loopRecordSchema, writeLoopRecord, type LoopRecord } from '../../server/src/engine/loop';
import type { SmokeReport, Violation } from '../../server/src/engine/model';
import { repairRecordSchema, writeRecord } from '../../server/src/engine/records';
import { gatherCiReport, latestRepairs, renderCiReport, type CiReport, type ReportFormat, type StoredRepairRecord } from '../../server/src/engine/report/ci';
import { xmlSafe } from '../../server/src/engine/report/junit';
import { githubSourceLink } from '../../server/src/engine/report/markdown';
import { framesAsRun, violationPlace } from '../../server/src/engine/report/places';
import { innermostWorkspaceFrame } from '../../server/src/engine/violations';
import { junitXsdErrors, parseJunit, sarifSchemaErrors } from '../setup/reportSchemas';
import { tempDir } from '../setup/tempDirs';

const ROOT = path.join(import.meta.dirname, '..', '..');
const TOOL = { name: 'smoke-repair', version: '9.8.7', informationUri: 'https://github.com/smoke-repair/smoke-repair' };

/** A saved smoke run of an example, its workspace the example's folder (the files its traces name). */
function smokeOf(name: 'shop-api' | 'todo-api-node'): SmokeReport {
  const saved = JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'reports', `${name}-smoke.json`), 'utf8')) as SmokeReport & { version?: number };
  delete saved.version;
  return { ...saved, workspace: path.join(ROOT, 'examples', name) };
}

const HOSTILE = 'x</failure><testcase name="injected"/>]]> & "quoted" \'single\' <script>alert(1)</script> | pipe | **bold** _it_ [link](http://e.x) `tick`\u0000\u0007\u001b[31mred\u001b[0m\uD800 lone \uDC00 low \uFFFE\tTab\r\nCRLF\nLF';

/** A failing request with hostile text everywhere a person's data can reach, and no trace. */
function hostileViolation(): Violation {
  return {
    id: 'hostile:500',
    scenarioId: 'hostile',
    scenario: `hostile ${HOSTILE}`,
    method: 'POST',
    path: '/echo/{name}',
    expectedStatus: 201,
    actualStatus: 500,
    failureType: 'UNKNOWN',
    strategy: 'GENERIC',
    retryable: false,
    signals: [],
    message: `POST /echo/{name} → 500 (expected 201): ${HOSTILE}`,
    locationKind: 'none',
    logExcerpt: `log ${HOSTILE}`,
    pinned: false,
    attribution: 'none',
    request: { method: 'POST', path: '/echo/x' },
    response: { status: 500, bodyExcerpt: `body ${HOSTILE}` },
    window: { startedAt: 1, endedAt: 2 },
  };
}

/** The todo run with the hostile failure (no trace, nowhere to point) and a skipped scenario added. */
function hostileSmoke(): SmokeReport {
  const smoke = smokeOf('todo-api-node');
  const v = hostileViolation();
  const base = smoke.scenarios[0]!;
  smoke.scenarios.push(
    { ...base, scenarioId: v.scenarioId, name: v.scenario, method: 'POST', path: '/echo/{name}', resolvedPath: '/echo/x', expectedStatus: 201, status: 500, ok: false, failures: [`expected status 201, got 500 ${HOSTILE}`], bodyExcerpt: v.response.bodyExcerpt },
    { ...base, scenarioId: 'after-hostile', name: 'after hostile', method: 'GET', path: '/echo/{id}', resolvedPath: '/echo/{id}', status: 0, ok: false, skipped: true, attempts: 0, failures: ['skipped: variable {id} is not set because "hostile" did not save it'] },
  );
  smoke.violations.push(v);
  smoke.total += 2;
  smoke.passRate = smoke.passed / smoke.total;
  return smoke;
}

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

/** A repair record as the pipeline stores it, read back through its schema. */
function record(id: string, at: number, v: Violation, fix?: { type: 'add_import' | 'include_router' | 'add_dependency'; file: string }): StoredRepairRecord {
  const violation = { id: v.id, scenario: v.scenario, method: v.method, path: v.path, expectedStatus: v.expectedStatus, actualStatus: v.actualStatus, failureType: v.failureType, strategy: v.strategy, message: v.message, ...(v.trace ? { exceptionClass: v.trace.exceptionClass } : {}) };
  const details = {
    add_import: { name: 'normalizeTitle', module: '../text', style: 'named' as const },
    include_router: { framework: 'express' as const, module: './routes/tags', router: 'default', mountPath: '/tags' },
    add_dependency: { name: 'csv-stringify', version: '^6.5.0' },
  };
  return repairRecordSchema.parse({
    id,
    createdAt: at,
    violation,
    ...(fix
      ? {
          planner: 'rules',
          plan: { root_cause: `${v.scenario} fails`, category: 'IMPORT', confidence: 0.9, files: [fix.file], operations: [{ type: fix.type, file: fix.file, rationale: 'the trace says so', details: details[fix.type] }] },
          planPolicy: { allowed: true, dangerScore: 10, label: 'safe', reasons: [] },
          patchPolicy: { allowed: true, dangerScore: 10, label: 'safe', reasons: [] },
          diff: `--- a/${fix.file}\n+++ b/${fix.file}\n`,
          validation: { status: 'passed', steps: [], fixed: [v.scenario], regressed: [] },
          applied: true,
          reason: 'applied: safe and validated',
          checkpointId: `cp-${id}`,
          passRateAfter: 0.9,
        }
      : { noPlan: { code: 'no_rule', reason: 'no rule knows this failure', tried: [{ planner: 'rules', code: 'no_rule', reason: 'no rule knows this failure' }] }, applied: false, reason: 'no plan: no rule knows this failure' }),
    passRateBefore: 12 / 18,
    timings: { plan: 3 },
  });
}

/** The loop the todo example really runs: four fixes in the first pass, a plateau in the second, "list stats" left for a person. */
function todoRepairs(smoke: SmokeReport): { loop: LoopRecord; records: StoredRepairRecord[] } {
  const by = (id: string) => smoke.violations.find((v) => v.scenarioId === id)!;
  const records = [
    record('run-aaaa1111-01', T0 + 1000, by('rename-list'), { type: 'add_import', file: 'src/routes/lists.js' }),
    record('run-aaaa1111-02', T0 + 1001, by('list-stats')),
    record('run-aaaa1111-03', T0 + 1002, by('export-list-as-csv'), { type: 'add_dependency', file: 'package.json' }),
    record('run-aaaa1111-04', T0 + 1003, by('create-tag'), { type: 'include_router', file: 'src/app.js' }),
    record('run-bbbb2222-01', T0 + 60_000, by('list-stats')),
  ];
  const loop = loopRecordSchema.parse({
    version: 1,
    id: 'loop-cafe0123',
    startedAt: T0,
    endedAt: T0 + 90_000,
    target: 1,
    maxIterations: 5,
    passRateStart: 12 / 18,
    passRateEnd: 17 / 18,
    iterations: [
      { n: 1, repairRunId: 'run-aaaa1111', startedAt: T0, durationMs: 55_300, passRateBefore: 12 / 18, passRateAfter: 17 / 18, passedBefore: 12, passedAfter: 17, total: 18, records: records.slice(0, 4).map((r) => r.id), applied: ['run-aaaa1111-01', 'run-aaaa1111-03', 'run-aaaa1111-04'], fixesByType: { add_import: 1, add_dependency: 1, include_router: 1 }, timings: { smoke: 5000, plan: 30, validate: 40000, apply: 20, reload: 9000 } },
      { n: 2, repairRunId: 'run-bbbb2222', startedAt: T0 + 56_000, durationMs: 20_100, passRateBefore: 17 / 18, passRateAfter: 17 / 18, passedBefore: 17, passedAfter: 17, total: 18, records: ['run-bbbb2222-01'], applied: [], fixesByType: {}, timings: { smoke: 2500 } },
    ],
    stopReason: 'plateau',
    stopDetail: 'iteration 2 applied nothing: 0 planned, 0 validated, none safe and validated to apply',
    escalation: [{ scenario: 'list stats', message: by('list-stats').message, tried: 'no plan: no rule knows this failure' }],
    counters: { autofix_attempts_total: { 'ReferenceError,applied': 1, 'TEST_ASSERT,no-plan': 2 }, autofix_success_ratio: 1 },
  });
  return { loop, records };
}

function render(format: ReportFormat, report: CiReport): string {
  return renderCiReport(format, report, { tool: TOOL });
}

const sarifOf = (report: CiReport) => JSON.parse(render('sarif', report)) as Log;
const lineOf = (workspace: string, file: string, line: number) => readFileSync(path.join(workspace, file), 'utf8').split('\n')[line - 1] ?? '';

describe('SARIF 2.1.0', () => {
  for (const name of ['shop-api', 'todo-api-node'] as const) {
    test(`${name}: valid against the schema; one error per violation at the innermost workspace frame of its trace, else where the run located it`, () => {
      const smoke = smokeOf(name);
      const log = sarifOf({ smoke, records: [], problems: [] });
      assert.deepEqual(sarifSchemaErrors(log), []);
      const run = log.runs[0]!;
      assert.equal(run.tool.driver.name, 'smoke-repair');
      assert.equal(run.tool.driver.version, '9.8.7');
      assert.equal(run.originalUriBaseIds!['%SRCROOT%']!.uri, `file://${smoke.workspace}/`);
      const rules = run.tool.driver.rules!;
      assert.equal(new Set(rules.map((r) => r.id)).size, rules.length, 'each rule once');
      assert.equal(run.results!.length, smoke.violations.length);
      smoke.violations.forEach((v, i) => {
        const r = run.results![i]!;
        assert.equal(r.level, 'error');
        assert.equal(r.message.text, v.message);
        assert.equal(rules[r.ruleIndex!]!.id, r.ruleId);
        assert.equal(r.ruleId, v.trace ? v.trace.exceptionClass : `${v.failureType}/${v.strategy}`);
        assert.ok(rules[r.ruleIndex!]!.shortDescription!.text.length > 0);
        const loc = r.locations![0]!.physicalLocation!;
        assert.equal(loc.artifactLocation!.uriBaseId, '%SRCROOT%');
        const file = loc.artifactLocation!.uri!;
        const line = loc.region!.startLine!;
        assert.ok(!path.isAbsolute(file) && !file.startsWith('..'), `workspace-relative: ${file}`);
        assert.ok(existsSync(path.join(smoke.workspace, file)), `${file} is a file of the example`);
        if (v.trace) {
          const frame = innermostWorkspaceFrame(v.trace)!;
          assert.deepEqual([file, line], [frame.file, frame.line]);
          if (frame.code) assert.ok(lineOf(smoke.workspace, file, line).includes(frame.code.trim()), `${file}:${line} is the line the trace printed: ${frame.code}`);
          assert.deepEqual(r.locations![0]!.logicalLocations, [{ name: frame.function, kind: 'function' }]);
        } else {
          assert.deepEqual([file, line], [v.location!.file, v.location!.line]);
          assert.equal(r.codeFlows, undefined);
        }
        assert.equal(r.partialFingerprints!['smokeRepairViolation/v1'], v.id);
      });
    });
  }

  test('the code flow is the workspace frames as the code ran: outermost first, the raising frame last, each at its place in the whole trace (Python and Node)', () => {
    for (const name of ['shop-api', 'todo-api-node'] as const) {
      const smoke = smokeOf(name);
      const log = sarifOf({ smoke, records: [], problems: [] });
      const traced = smoke.violations.map((v, i) => [v, log.runs[0]!.results![i]!] as const).filter(([v]) => v.trace);
      assert.ok(traced.length >= 2, name);
      for (const [v, r] of traced) {
        const steps = r.codeFlows![0]!.threadFlows[0]!.locations;
        assert.equal(r.codeFlows![0]!.message!.text, `${v.trace!.exceptionClass}: ${v.trace!.message.split('\n')[0]}`);
        // Python prints the most recent call last, V8 first: the flow reads as the code ran either way.
        const frames = v.trace!.frames;
        const ran = v.trace!.language === 'python' ? frames : [...frames].reverse();
        const expected = ran.map((f, i) => ({ f, order: i + 1 })).filter(({ f }) => f.inWorkspace);
        assert.ok(expected.length > 0 && expected.length < frames.length, "workspace frames among the framework's");
        assert.equal(steps.length, expected.length);
        steps.forEach((s, i) => {
          const { f, order } = expected[i]!;
          assert.equal(s.executionOrder, order);
          assert.equal(s.nestingLevel, order - 1);
          assert.equal(s.importance, 'essential');
          assert.deepEqual(s.location!.physicalLocation!.artifactLocation, { uri: f.file, uriBaseId: '%SRCROOT%' });
          assert.equal(s.location!.physicalLocation!.region!.startLine, f.line);
          assert.equal(s.location!.message!.text, `${f.function} (${f.file}:${f.line})`);
        });
        const innermost = innermostWorkspaceFrame(v.trace!)!;
        assert.deepEqual(steps.at(-1)!.location!.physicalLocation, r.locations![0]!.physicalLocation, 'the flow ends where the result is');
        assert.equal(steps.at(-1)!.location!.physicalLocation!.region!.startLine, innermost.line);
        assert.equal(r.properties!.frames, frames.length);
      }
    }
  });

  test('a chained exception: the flow is the exception that holds the innermost workspace frame', () => {
    const v = structuredClone(smokeOf('shop-api').violations.find((x) => x.trace)!);
    const own = v.trace!.frames;
    v.trace!.causes = [{ exceptionClass: 'KeyError', message: "'price'", relation: 'context', frames: own }];
    v.trace!.frames = own.filter((f) => !f.inWorkspace).slice(0, 2);
    assert.deepEqual(framesAsRun(v.trace!), own);
    assert.deepEqual(violationPlace(v, '/ws'), { file: innermostWorkspaceFrame(v.trace!)!.file, line: innermostWorkspaceFrame(v.trace!)!.line, function: innermostWorkspaceFrame(v.trace!)!.function });
  });

  test('hostile text and a failure with no trace and nowhere to point: still valid, the message kept exactly, on the first line of the configuration', () => {
    const smoke = hostileSmoke();
    const out = render('sarif', { smoke, records: [], problems: [] });
    const log = JSON.parse(out) as Log;
    assert.deepEqual(sarifSchemaErrors(log), []);
    const r = log.runs[0]!.results!.at(-1)!;
    assert.equal(r.message.text, hostileViolation().message);
    // Code scanning refuses a whole file for one result without a location.
    assert.deepEqual(r.locations, [{ physicalLocation: { artifactLocation: { uri: 'smoke-repair.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 1 } } }]);
    assert.equal(r.properties!.locationKind, 'none');
    assert.equal(r.codeFlows, undefined);
    assert.equal(r.ruleId, 'UNKNOWN/GENERIC');
    assert.deepEqual(r.properties!.tags, ['UNKNOWN', 'GENERIC']);
  });

  test('a path with spaces and non-ASCII letters is a percent-encoded URI reference; a file outside the workspace is not pointed at', () => {
    const smoke = smokeOf('shop-api');
    const v = smoke.violations.find((x) => !x.trace)!;
    smoke.violations = [
      { ...v, id: 'a', location: { file: 'app/my routes/café #1.py', line: 3 } },
      { ...v, id: 'b', location: { file: '../elsewhere/app.py', line: 3 } },
      { ...v, id: 'c', location: { file: path.join(smoke.workspace, 'app', 'main.py'), line: 7 } },
    ];
    const log = sarifOf({ smoke, records: [], problems: [] });
    assert.deepEqual(sarifSchemaErrors(log), []);
    const [a, b, c] = log.runs[0]!.results! as [Result, Result, Result];
    assert.equal(a.locations![0]!.physicalLocation!.artifactLocation!.uri, 'app/my%20routes/caf%C3%A9%20%231.py');
    assert.equal(b.locations![0]!.physicalLocation!.artifactLocation!.uri, 'smoke-repair.yaml');
    assert.equal(b.properties!.locationKind, 'none');
    assert.equal(c.locations![0]!.physicalLocation!.artifactLocation!.uri, 'app/main.py');
  });

  test('the schema check is real: it rejects what SARIF 2.1.0 forbids', () => {
    const log = sarifOf({ smoke: smokeOf('shop-api'), records: [], problems: [] }) as unknown as Record<string, any>;
    const broken = (change: (l: Record<string, any>) => void) => {
      const copy = structuredClone(log);
      change(copy);
      return sarifSchemaErrors(copy);
    };
    assert.match(broken((l) => (l.version = '2.0.0')).join('\n'), /\/version/);
    assert.match(broken((l) => (l.runs[0].results[0].level = 'fatal')).join('\n'), /\/runs\/0\/results\/0\/level/);
    assert.match(broken((l) => (l.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0)).join('\n'), /startLine/);
    assert.match(broken((l) => delete l.runs[0].tool.driver.name).join('\n'), /name/);
    assert.match(broken((l) => (l.runs[0].results[0].codeFlows[0].threadFlows[0].locations = [])).join('\n'), /locations/);
  });

  test('the run says what the loop did and which fixes were applied', () => {
    const smoke = smokeOf('todo-api-node');
    const log = sarifOf({ smoke, ...todoRepairs(smoke), problems: [] });
    assert.deepEqual(sarifSchemaErrors(log), []);
    const props = log.runs[0]!.properties!;
    assert.deepEqual(props.loop, { id: 'loop-cafe0123', iterations: 2, passRateStart: 12 / 18, passRateEnd: 17 / 18, stopReason: 'plateau' });
    assert.deepEqual((props.fixesApplied as Array<{ scenario: string }>).map((f) => f.scenario), ['rename list', 'export list as CSV', 'create tag']);
  });
});

describe('JUnit XML', () => {
  test('shop-api: valid against the Jenkins JUnit XSD; one test case per scenario, a failure with the message and the trace for each failing one', async () => {
    const smoke = smokeOf('shop-api');
    const xml = render('junit', { smoke, records: [], problems: [] });
    assert.deepEqual(await junitXsdErrors(xml), []);
    const suite = parseJunit(xml);
    assert.deepEqual([suite.name, suite.tests, suite.failures, suite.errors, suite.skipped], ['smoke-repair', 19, 8, 0, 0]);
    assert.equal(suite.time, (smoke.durationMs / 1000).toFixed(3));
    assert.equal(suite.properties.passRate, '57.9%');
    assert.equal(suite.properties.baseUrl, smoke.baseUrl);
    assert.equal(suite.cases.length, smoke.scenarios.length);
    smoke.scenarios.forEach((s, i) => {
      const c = suite.cases[i]!;
      assert.equal(c.classname, `${s.method} ${s.path}`);
      assert.equal(c.name, s.name);
      assert.equal(c.time, (s.durationMs / 1000).toFixed(3));
      const v = smoke.violations.find((x) => x.scenarioId === s.scenarioId);
      if (!v) {
        assert.equal(c.failure, undefined, s.name);
        return;
      }
      assert.equal(c.failure!.message, v.message);
      assert.equal(c.failure!.type, v.trace?.exceptionClass ?? v.failureType);
      const place = violationPlace(v, smoke.workspace)!;
      assert.ok(c.failure!.text.startsWith(`${v.message}\nat ${place.file}:${place.line} (${v.locationKind})\n`), c.failure!.text.slice(0, 300));
      if (v.trace) assert.ok(c.failure!.text.includes(v.trace.text.trimEnd()), 'the trace text, whole');
      else assert.ok(c.failure!.text.includes(v.response.bodyExcerpt));
    });
  });

  test('hostile strings: escaped (control characters too), read back as written, nothing injected; skipped and traceless failures', async () => {
    const smoke = hostileSmoke();
    const xml = render('junit', { smoke, records: [], problems: [] });
    assert.doesNotMatch(xml, /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/, 'no character XML 1.0 forbids');
    assert.deepEqual(await junitXsdErrors(xml), []);
    const suite = parseJunit(xml);
    assert.deepEqual([suite.tests, suite.failures, suite.skipped], [20, 7, 1]);
    assert.equal(suite.cases.length, 20, 'no test case injected');
    assert.ok(!suite.cases.some((c) => c.name === 'injected'));
    const hostile = suite.cases.at(-2)!;
    const v = hostileViolation();
    assert.equal(hostile.name, xmlSafe(v.scenario));
    assert.equal(hostile.failure!.message, xmlSafe(v.message), 'the attribute keeps quotes, tabs and line breaks');
    assert.match(hostile.failure!.message, /\\x00\\x07\\x1b\[31mred\\x1b\[0m\\ud800 lone \\udc00 low \\ufffe\tTab\r\nCRLF\nLF$/);
    assert.equal(hostile.failure!.type, 'UNKNOWN');
    assert.ok(hostile.failure!.text.includes(xmlSafe(`body ${HOSTILE}`)), 'the response, as there is no trace');
    assert.equal(hostile.systemOut, xmlSafe(`log ${HOSTILE}`));
    const skipped = suite.cases.at(-1)!;
    assert.equal(skipped.skipped, true);
    assert.equal(skipped.failure, undefined);
    assert.match(skipped.systemOut!, /variable \{id\} is not set/);
  });

  test('xmlSafe keeps every character XML allows, pairs of surrogates included', () => {
    const fine = 'tab\tLF\nCR\r é 中 😀 \u007f \uFFFD';
    assert.equal(xmlSafe(fine), fine);
    assert.equal(xmlSafe('\u0000\u001f\uD83D'), '\\x00\\x1f\\ud83d');
  });

  test('the last loop is a property of the suite', async () => {
    const smoke = smokeOf('todo-api-node');
    const xml = render('junit', { smoke, ...todoRepairs(smoke), problems: [] });
    assert.deepEqual(await junitXsdErrors(xml), []);
    assert.equal(parseJunit(xml).properties.repairLoop, 'loop-cafe0123: 2 iteration(s), stopped: plateau');
  });

  test('the XSD check is real: it rejects what the Jenkins schema forbids', async () => {
    const xml = render('junit', { smoke: smokeOf('shop-api'), records: [], problems: [] });
    assert.notDeepEqual(await junitXsdErrors(xml.replace('<testsuite name="smoke-repair"', '<testsuite')), []);
    assert.notDeepEqual(await junitXsdErrors(xml.replace('<failure ', '<failure bogus="1" ')), []);
    assert.throws(() => parseJunit(xml.replace('</testsuite>', '')), /not well-formed/);
  });
});

describe('Markdown', () => {
  test('the pass rate, a row per failing scenario with where it failed, the last loop per iteration, fixes by type and why it stopped', () => {
    const smoke = smokeOf('todo-api-node');
    const repairs = todoRepairs(smoke);
    const md = render('markdown', { smoke, ...repairs, problems: [] });
    assert.ok(md.startsWith('# Smoke Repair: 12 of 18 scenarios pass (66.7%)\n'), md.slice(0, 200));
    assert.match(md, /^## Failing scenarios \(6\)$/m);
    for (const v of smoke.violations) {
      const place = violationPlace(v, smoke.workspace)!;
      const row = md.split('\n').find((l) => l.startsWith(`| ${v.scenario} |`));
      assert.ok(row, v.scenario);
      assert.ok(row.endsWith(`| ${v.failureType} / ${v.strategy} | \`${place.file}:${place.line}\` |`), row);
    }
    assert.match(md, /^`loop-cafe0123`, started 2026-01-02 03:04:05 UTC: 66\.7% → 94\.4% \(target 100\.0%\) in 2 of at most 5 iteration\(s\); stopped: \*\*plateau\*\* \(iteration 2 applied nothing/m);
    assert.match(md, /^\| 1 \| 12\/18 \(66\.7%\) \| 17\/18 \(94\.4%\) \| add_dependency 1, add_import 1, include_router 1 \| 55\.3 s \|$/m);
    assert.match(md, /^\| 2 \| 17\/18 \(94\.4%\) \| 17\/18 \(94\.4%\) \| – \| 20\.1 s \|$/m);
    assert.match(md, /^Fixes kept, by type: add_dependency 1, add_import 1, include_router 1\.$/m);
    assert.match(md, /^- \*\*list stats\*\*: GET \/lists\/\{list_id\}\/stats → 200 \(expected 200\): expected open = 2, got 1; tried: no plan: no rule knows this failure$/m);
    assert.match(md, /^## Fixes recorded \(3 applied of 5\)$/m);
    assert.match(md, /^\| rename list \| add_import \| `src\/routes\/lists\.js` \| rules \| applied \|$/m);
  });

  test('hostile text stays inside its cell; a failure with nowhere to point has no location; skipped scenarios are listed', () => {
    const md = render('markdown', { smoke: hostileSmoke(), records: [], problems: [] });
    const row = md.split('\n').find((l) => l.startsWith('| hostile '))!;
    const unescapedPipes = row.replace(/\\\|/g, '').split('|').length - 1;
    assert.equal(unescapedPipes, 5, row);
    assert.ok(row.endsWith('| UNKNOWN / GENERIC | – |'), row);
    assert.doesNotMatch(row, /<script>|<\/failure>|\*\*bold\*\*|\[link\]\(/);
    assert.match(row, /&lt;script&gt;/);
    assert.match(md, /^## Skipped \(1\)\n\n- \*\*after hostile\*\* \(`GET \/echo\/\{id\}`\): skipped: variable \{id\} is not set/m);
  });

  test('links to the commit on GitHub in a GitHub Actions job; plain path:line elsewhere', () => {
    const smoke = smokeOf('todo-api-node');
    const env = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop', GITHUB_SHA: 'abc123', GITHUB_WORKSPACE: ROOT };
    const link = githubSourceLink(env, smoke.workspace)!;
    assert.equal(link('src/routes/lists.js', 33), 'https://github.com/acme/shop/blob/abc123/examples/todo-api-node/src/routes/lists.js#L33');
    assert.equal(link('a (b)/c d.js', 1), 'https://github.com/acme/shop/blob/abc123/examples/todo-api-node/a%20(b)/c%20d.js#L1');
    assert.equal(githubSourceLink({ ...env, GITHUB_WORKSPACE: '/elsewhere' }, smoke.workspace), undefined);
    assert.equal(githubSourceLink({ GITHUB_SHA: 'abc123' }, smoke.workspace), undefined);
    const md = renderCiReport('markdown', { smoke, records: [], problems: [] }, { tool: TOOL, link });
    assert.ok(md.includes('| [`src/routes/lists.js:33`](https://github.com/acme/shop/blob/abc123/examples/todo-api-node/src/routes/lists.js#L33) |'));
  });

  test('every scenario passing, no loop', () => {
    const smoke = smokeOf('shop-api');
    smoke.violations = [];
    smoke.scenarios = smoke.scenarios.map((s) => ({ ...s, ok: true, failures: [] }));
    smoke.passed = smoke.total;
    smoke.passRate = 1;
    const md = render('markdown', { smoke, records: [], problems: [] });
    assert.match(md, /^# Smoke Repair: 19 of 19 scenarios pass \(100\.0%\)\n/);
    assert.match(md, /^Every scenario passes\.$/m);
    assert.doesNotMatch(md, /loop|Fixes/);
  });
});

describe('JSON and what goes into every report', () => {
  test('{version: 1, smoke, loop, records}: everything, as read', () => {
    const smoke = smokeOf('todo-api-node');
    const repairs = todoRepairs(smoke);
    const doc = JSON.parse(render('json', { smoke, ...repairs, problems: [] }));
    assert.deepEqual(Object.keys(doc), ['version', 'smoke', 'loop', 'records']);
    assert.equal(doc.version, 1);
    assert.deepEqual(doc.smoke, JSON.parse(JSON.stringify(smoke)));
    assert.deepEqual(loopRecordSchema.parse(doc.loop), repairs.loop);
    assert.deepEqual(doc.records.map((r: unknown) => repairRecordSchema.parse(r)), repairs.records);
    const bare = JSON.parse(render('json', { smoke, records: [], problems: [{ file: 'x.json', error: 'not valid JSON' }] }));
    assert.deepEqual(Object.keys(bare), ['version', 'smoke', 'records', 'problems']);
  });

  test('latestRepairs: the newest loop with its records, and a later repair --once run; without a loop, the latest run', () => {
    const smoke = smokeOf('todo-api-node');
    const { loop, records } = todoRepairs(smoke);
    const older = { ...loop, id: 'loop-old', startedAt: T0 - 86_400_000, iterations: [] };
    const earlier = record('run-0000aaaa-01', T0 - 90_000_000, smoke.violations[0]!);
    const later = [record('run-cccc3333-01', T0 + 200_000, smoke.violations[1]!), record('run-cccc3333-02', T0 + 200_001, smoke.violations[2]!)];
    const all = [earlier, ...records, ...later];
    const picked = latestRepairs([older, loop], all);
    assert.equal(picked.loop?.id, loop.id);
    assert.deepEqual(picked.records.map((r) => r.id), [...records, ...later].map((r) => r.id));
    assert.deepEqual(latestRepairs([older, loop], [earlier, ...records]).records.map((r) => r.id), records.map((r) => r.id));
    const alone = latestRepairs([], all);
    assert.equal(alone.loop, undefined);
    assert.deepEqual(alone.records.map((r) => r.id), ['run-cccc3333-01', 'run-cccc3333-02']);
    assert.deepEqual(latestRepairs([], []), { records: [] });
  });

  test('gatherCiReport reads .smoke-repair/ as the loop and repair left it; an unreadable record is named, not fatal', async () => {
    const ws = tempDir('report-gather-');
    const smoke = smokeOf('todo-api-node');
    const { loop, records } = todoRepairs(smoke);
    await writeLoopRecord(ws, loop);
    for (const r of records) await writeRecord(ws, r as Parameters<typeof writeRecord>[1]);
    writeFileSync(path.join(ws, '.smoke-repair', 'runs', '20260102T999999999Z-broken.json'), '{ not json');
    const got = await gatherCiReport(ws, smoke);
    assert.equal(got.loop?.id, loop.id);
    assert.deepEqual(got.records.map((r) => r.id), records.map((r) => r.id));
    assert.equal(got.problems.length, 1);
    assert.match(got.problems[0]!.error, /not valid JSON/);
    assert.match(render('markdown', got), /^## Records that could not be read$/m);
    const empty = await gatherCiReport(tempDir('report-empty-'), smoke);
    assert.deepEqual([empty.loop, empty.records, empty.problems], [undefined, [], []]);
  });
});

describe('smoke-repair report: usage', () => {
  const BIN = path.join(ROOT, 'bin', 'smoke-repair.js');
  const run = (args: string[], cwd: string) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', input: '', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });

  test('a missing or unknown --format exits 2 before anything runs; a workspace without configuration exits 2 and writes no report', () => {
    const ws = tempDir('report-usage-');
    const none = run(['report'], ws);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^smoke-repair: report needs --format: json, sarif, junit, markdown or prometheus\n/);
    assert.match(none.stderr, /Usage: smoke-repair report --format json\|sarif\|junit\|markdown/);
    const typo = run(['report', '--format', 'sarf'], ws);
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /unknown report format "sarf"; did you mean "sarif"\? \(json, sarif, junit, markdown or prometheus\)/);
    const out = path.join(ws, 'out', 'report.sarif');
    const noConfig = run(['report', '--format', 'sarif', '--output', out, '--quiet'], ws);
    assert.equal(noConfig.status, 2, noConfig.stderr);
    assert.equal(noConfig.stdout, '');
    assert.ok(!existsSync(out), 'no report for a run that could not happen');
  });
});

test('prometheus: the exposition format, with the loop counters and escaped labels', async () => {
  const { prometheusReport } = await import('../../server/src/engine/report/prometheus');
  const smoke = { passRate: 0.75, passed: 3, total: 4 } as never;
  const loop = {
    version: 1, id: 'loop-1', startedAt: 0, target: 1, maxIterations: 5, stopReason: 'plateau',
    iterations: [{ applied: ['r1', 'r2'] }, { applied: [] }],
    counters: { autofix_attempts_total: { 'NameError,applied': 2, 'Say "hi"\\n,no-plan': 1 }, autofix_success_ratio: 0.667, autofix_backoff_seconds: 1.5 },
    pending: [{ recordId: 'r3', scenario: 's', title: 't', why: 'w' }],
  } as never;
  const text = prometheusReport({ smoke, loop, records: [], problems: [] });
  const lines = text.trim().split('\n');
  for (const l of lines) assert.match(l, /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="([^"\\\n]|\\.)*"(,[a-z_]+="([^"\\\n]|\\.)*")*\})? -?[\d.]+(e-?\d+)?)$/, l);
  assert.ok(lines.includes('smoke_pass_ratio 0.75'));
  assert.ok(lines.includes('smoke_scenarios{result="failed"} 1'));
  assert.ok(lines.includes('autofix_attempts_total{signal="NameError",outcome="applied"} 2'));
  assert.ok(lines.includes('autofix_attempts_total{signal="Say \\"hi\\"\\\\n",outcome="no-plan"} 1'), text);
  assert.ok(lines.includes('autofix_iterations{stop_reason="plateau"} 2'));
  assert.ok(lines.includes('autofix_fixes_applied 2'));
  assert.ok(lines.includes('approval_requests_total{status="pending"} 1'));
  // Without a loop: the smoke metrics alone.
  assert.doesNotMatch(prometheusReport({ smoke, records: [], problems: [] }), /autofix/);
});
