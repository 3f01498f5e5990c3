/**
 * An app that cannot start is a failure like any other: on the field apps (run as processes), a
 * fault planted so the app dies while loading becomes the "app starts" violation with the trace of
 * its output, classified and located on the line that raised it; the run ends within moments of
 * the exit (not after app.healthTimeoutMs); and `repair --once` plans, validates (the patched app
 * comes up in the sandbox) and applies the fix, after which the scenarios run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { isStartupFailure, runSmoke } from '../../server/src/engine';
import { repairOnce, rollbackFix } from '../../server/src/engine/repair';
import { copyFieldApp, ensureFieldImages, fieldPython, type FieldWorkspace } from '../setup/field';
import { freePort } from '../setup/net';

interface StartupCase {
  title: string;
  /** Run in Docker (its compose file; `restart` policies as written there) instead of as a process. */
  docker?: boolean;
  /** Docker: the fix changes what the image copies, so the tool may rebuild it (`app.docker.rebuild`). */
  rebuild?: boolean;
  /** Further edits that make the planted line matter (a use of what it imports). */
  alsoReplace?: [string, string];
  app: string;
  file: string;
  /** Inserted as line `at` (0-based) of `file`. */
  line: string;
  at: number;
  exceptionClass: string;
  message: RegExp;
  failureType: string;
  strategy: string;
  /**
   * Whether `repair --once` should fix it with the rules alone, and the file the fix writes. `run`:
   * the fix adds a dependency a process app's own environment lacks; the sandbox installed it for
   * itself only, and the record says what to run (the app starts once that is done).
   */
  repairable?: { operation: string; writes?: string; adds?: RegExp; run?: RegExp };
}

const CASES: StartupCase[] = [
  {
    title: 'Python: an unused top-level import of a module that is not installed',
    app: 'fastapi-heroes',
    file: 'app/routers/teams.py',
    line: 'import ipdb',
    at: 0,
    exceptionClass: 'ModuleNotFoundError',
    message: /No module named 'ipdb'/,
    failureType: 'RUNTIME',
    strategy: 'DEPENDENCY',
    repairable: { operation: 'remove_unused' },
  },
  {
    title: 'Python: a syntax error in a module the app factory imports',
    app: 'flask-notes',
    file: 'notes/notes.py',
    line: 'def broken(:',
    at: 6,
    exceptionClass: 'SyntaxError',
    message: /invalid syntax|expected/,
    failureType: 'LINT',
    strategy: 'SERVICE',
  },
  {
    title: 'CommonJS: an unused require of a package that is not installed',
    app: 'express4-bookmarks',
    file: 'routes/tags.js',
    line: "var dayjs = require('dayjs');",
    at: 3,
    exceptionClass: 'Error',
    message: /Cannot find module 'dayjs'/,
    failureType: 'RUNTIME',
    strategy: 'DEPENDENCY',
    repairable: { operation: 'remove_unused' },
  },
  {
    title: 'CommonJS: an unused require at the top of the extensionless bin/www script',
    app: 'express4-bookmarks',
    file: 'bin/www',
    line: "var nanoid = require('nanoid');",
    at: 2,
    exceptionClass: 'Error',
    message: /Cannot find module 'nanoid'/,
    failureType: 'RUNTIME',
    strategy: 'DEPENDENCY',
    repairable: { operation: 'remove_unused' },
  },
  {
    title: 'ES modules: a route module loaded with import() imports a package that is not installed',
    app: 'express5-events',
    file: 'src/routes/events.js',
    line: "import dayjs from 'dayjs';",
    at: 2,
    exceptionClass: 'Error',
    message: /Cannot find (?:package|module) 'dayjs'/,
    failureType: 'RUNTIME',
    strategy: 'DEPENDENCY',
    // Validated by running `npm start` in the sandbox.
    repairable: { operation: 'remove_unused' },
  },
  {
    title: 'in a container that exits: an unused top-level import of a module the image lacks',
    docker: true,
    app: 'fastapi-heroes',
    file: 'app/routers/heroes.py',
    line: 'import ipdb',
    at: 0,
    exceptionClass: 'ModuleNotFoundError',
    message: /No module named 'ipdb'/,
    failureType: 'RUNTIME',
    strategy: 'DEPENDENCY',
    repairable: { operation: 'remove_unused' },
  },
  {
    title: 'in a container that restarts in a loop (restart: unless-stopped): a package the image lacks',
    docker: true,
    app: 'express5-events',
    file: 'src/routes/attendees.js',
    line: "import dayjs from 'dayjs';",
    at: 2,
    exceptionClass: 'Error',
    message: /Cannot find (?:package|module) 'dayjs'/,
    failureType: 'RUNTIME',
    strategy: 'DEPENDENCY',
    repairable: { operation: 'remove_unused' },
  },
];

/** A used import of a package the manifest lacks: in a process app (the sandbox installs it for itself) and in a container that exits (the image is rebuilt). */
const MISSING_DEPENDENCIES: StartupCase[] = [
  {
    title: 'a package the code uses is missing from requirements.txt',
    app: 'fastapi-heroes',
    file: 'app/main.py',
    line: 'import yaml',
    at: 0,
    alsoReplace: ['return {"message": "Hello Bigger Applications!"}', "return yaml.safe_load('message: Hello Bigger Applications!')"],
    exceptionClass: 'ModuleNotFoundError',
    message: /No module named 'yaml'/,
    failureType: 'RUNTIME',
    strategy: 'DEPENDENCY',
    repairable: { operation: 'add_dependency', writes: 'requirements.txt', adds: /^PyYAML\b/im, run: /run `\S*python\S* -m pip install "PyYAML[^`]*` in the workspace/ },
  },
  {
    title: 'a package the code requires is missing from package.json',
    app: 'express4-bookmarks',
    file: 'routes/tags.js',
    line: "var pluralize = require('pluralize');",
    at: 3,
    alsoReplace: ["  res.json({ tag: req.params.name, bookmarks: rows });", "  res.json({ tag: req.params.name, label: pluralize(req.params.name), bookmarks: rows });"],
    exceptionClass: 'Error',
    message: /Cannot find module 'pluralize'/,
    failureType: 'RUNTIME',
    strategy: 'DEPENDENCY',
    repairable: { operation: 'add_dependency', writes: 'package.json', adds: /"pluralize": "/, run: /run `npm install` in the workspace/ },
  },
];
for (const c of MISSING_DEPENDENCIES) {
  CASES.push(
    { ...c, title: `${c.title} (validated on a sandbox install)` },
    { ...c, title: `in a container that exits: ${c.title}`, docker: true, rebuild: true, repairable: { ...c.repairable!, run: undefined } },
  );
}

const HEALTH_TIMEOUT_MS = 20_000;

/** The bytes of some workspace files. */
function snapshot(dir: string, files: string[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
}

for (const c of CASES) {
  describe(`start-up failure on ${c.app}${c.docker ? ' in Docker' : ''}: ${c.title}`, () => {
    let ws: FieldWorkspace | undefined;
    after(() => ws?.remove());

    test('is the "app starts" violation, with its trace, classified and located, soon after the exit', async () => {
      if (c.docker) ensureFieldImages();
      ws = copyFieldApp(c.app, { port: await freePort(), config: { smoke: { concurrency: 8 } }, docker: c.docker, rebuild: c.rebuild });
      const yamlFile = path.join(ws.dir, 'smoke-repair.yaml');
      writeFileSync(yamlFile, readFileSync(yamlFile, 'utf8').replace(/^app:\n/m, `app:\n  healthTimeoutMs: ${HEALTH_TIMEOUT_MS}\n`));
      const file = path.join(ws.dir, c.file);
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.splice(c.at, 0, c.line);
      let text = lines.join('\n');
      if (c.alsoReplace) {
        assert.ok(text.includes(c.alsoReplace[0]), `${c.file} holds ${c.alsoReplace[0]}`);
        text = text.replace(c.alsoReplace[0], c.alsoReplace[1]);
      }
      writeFileSync(file, text);
      if (c.docker) ws.up();

      const report = await runSmoke({ workspace: ws.dir });
      assert.equal(report.total, 1);
      assert.equal(report.passed, 0);
      assert.equal(report.violations.length, 1);
      const v = report.violations[0];
      assert.ok(isStartupFailure(v));
      assert.equal(v.scenario, 'app starts');
      assert.ok(v.trace, `a trace from the app's output:\n${v.logExcerpt}`);
      assert.equal(v.trace.exceptionClass, c.exceptionClass, v.message);
      assert.match(v.trace.message, c.message);
      assert.match(v.message, c.docker ? /^app starts → (?:is not running|is restarting in a loop|restarted while starting)[^:]*: / : /^app starts → exited with code \d+: /);
      assert.equal(v.failureType, c.failureType, v.signals.join('; '));
      assert.equal(v.strategy, c.strategy, v.signals.join('; '));
      assert.equal(v.attribution, 'startup');
      assert.equal(v.traceSource, c.docker ? 'container' : 'process');
      assert.deepEqual([v.location?.file, v.location?.line], [c.file, c.at + 1], `located on the planted line: ${JSON.stringify(v.trace.frames.slice(0, 5))}`);
      // The wait ends with the exit, not the time-out: the run is over within 2 s of the app's exit.
      const afterExit = report.startedAt + report.durationMs - v.window.endedAt;
      assert.ok(afterExit >= 0 && afterExit < 2000, `the run ended ${afterExit} ms after the app exited (health time-out ${HEALTH_TIMEOUT_MS} ms)`);
      assert.ok(report.durationMs < HEALTH_TIMEOUT_MS, `the run took ${report.durationMs} ms`);
    });

    if (c.repairable) {
      test(`repair --once fixes it (${c.repairable.operation}), validated by starting the patched app${c.docker ? '; rollback brings the failure back' : ''}`, async () => {
        const before = snapshot(ws!.dir, [c.file, c.repairable!.writes].filter((f): f is string => !!f));
        const summary = await repairOnce({ workspace: ws!.dir, apply: 'safe' });
        const rec = summary.records.find((r) => r.violation.scenario === 'app starts');
        assert.ok(rec, JSON.stringify(summary.records.map((r) => r.violation.id)));
        assert.equal(rec.plan?.operations[0]?.type, c.repairable!.operation, JSON.stringify(rec.plan ?? rec.noPlan));
        assert.equal(rec.validation?.status, 'passed', JSON.stringify(rec.validation?.steps));
        assert.equal(rec.applied, true, rec.reason);
        if (c.repairable!.writes) assert.match(readFileSync(path.join(ws!.dir, c.repairable!.writes), 'utf8'), c.repairable!.adds!);
        else assert.ok(!readFileSync(path.join(ws!.dir, c.file), 'utf8').includes(c.line), 'the planted line is gone');
        if (c.repairable!.run) {
          assert.match(rec.reason, c.repairable!.run);
          // Installed for the sandbox only: the user's environment is as it was, so the app still
          // cannot start until they run what the record says.
          assert.equal(summary.passRateAfter, 0);
          if (c.app === 'express4-bookmarks') assert.equal(existsSync(path.join(ws!.dir, 'node_modules', 'pluralize')), false);
          else assert.notEqual(spawnSync(fieldPython(), ['-c', 'import yaml']).status, 0, "the tests' Python environment was not touched");
          return;
        }
        assert.equal(summary.passRateAfter, 1, `every scenario passes once the app starts (${summary.passedAfter}/${summary.total})`);
        if (!c.docker) return;
        // Rolled back byte for byte, and the container reloaded (restarted, or rebuilt when the
        // restored file is copied into the image): the next run sees the failure again.
        const back = await rollbackFix({ workspace: ws!.dir });
        assert.deepEqual(snapshot(ws!.dir, Object.keys(before)), before);
        assert.match(back.reload ?? '', c.rebuild ? /^rebuilt the image/ : /^restarted /);
        const again = await runSmoke({ workspace: ws!.dir });
        assert.equal(again.violations[0]?.scenario, 'app starts', again.violations.map((v) => v.message).join('\n'));
        assert.equal(again.violations[0]?.trace?.exceptionClass, c.exceptionClass);
      });
    }
  });
}
