import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkRequirements, fileKind, formatProblem, parseFiles } from '../../server/src/engine/validate';

/** Real parsers on real files: every kind parses when good and fails, with file and line, when broken. */

const dir = mkdtempSync(path.join(tmpdir(), 'validate-parse-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function parseOne(file: string, text: string, isModule = false) {
  const full = path.join(dir, file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, text);
  return parseFiles([{ file, path: full, text }], { scratch: path.join(dir, '.scratch'), isModule: async () => isModule });
}

const CASES: Array<{ kind: string; file: string; good: string; bad: string; line: number; isModule?: boolean }> = [
  { kind: 'python', file: 'app/routers/orders.py', good: 'import uuid\n\n\ndef f():\n    return uuid.uuid4()\n', bad: 'import uuid\n\n\ndef f(:\n    return 1\n', line: 4 },
  { kind: 'javascript', file: 'src/routes/lists.js', good: "'use strict';\nconst a = require('x');\nmodule.exports = a;\n", bad: "'use strict';\nconst a = require('x';\nmodule.exports = a;\n", line: 2 },
  { kind: 'javascript (ES module)', file: 'src/esm.js', good: "import x from 'x';\nexport default x;\n", bad: "import x from 'x';\nexport default x x;\n", line: 2, isModule: true },
  { kind: 'typescript', file: 'src/a.ts', good: 'const n: number = 1;\nexport { n };\n', bad: 'const n: number = 1;\nexport { n ;\n', line: 2 },
  { kind: 'json', file: 'config/settings.json', good: '{\n  "a": 1,\n  "b": [1, 2]\n}\n', bad: '{\n  "a": 1,\n  "b": [1, 2\n}\n', line: 4 },
  { kind: 'package.json', file: 'package.json', good: '{\n  "name": "x",\n  "dependencies": {\n    "express": "^4.21.2"\n  }\n}\n', bad: '{\n  "name": "x",\n  "dependencies": {\n    "express": 4\n  }\n}\n', line: 4 },
  { kind: 'toml', file: 'pyproject.toml', good: '[project]\nname = "x"\ndependencies = ["fastapi>=0.100"]\n', bad: '[project]\nname = "x"\ndependencies = fastapi\n', line: 3 },
  { kind: 'requirements', file: 'requirements.txt', good: '# deps\nfastapi==0.115.6\nuvicorn[standard]>=0.30 ; python_version >= "3.8"\n-r base.txt\nrequests --hash=sha256:abcdef0123\n', bad: 'fastapi==0.115.6\nuvicorn=0.32.1\n', line: 2 },
  { kind: 'yaml', file: 'docker-compose.yml', good: 'services:\n  api:\n    image: x\n', bad: 'services:\n  api:\n    image: [x\n', line: 4 },
];

describe('parse step', () => {
  for (const c of CASES) {
    test(`${c.kind}: a good file parses, a broken one fails at its line`, async () => {
      const good = await parseOne(c.file, c.good, c.isModule);
      assert.deepEqual(good.problems, [], JSON.stringify(good.problems));
      assert.deepEqual(good.passed, [c.file]);
      const bad = await parseOne(c.file, c.bad, c.isModule);
      assert.equal(bad.problems.length >= 1, true, `${c.kind}: the broken variant is rejected`);
      assert.equal(bad.problems[0].file, c.file);
      assert.equal(bad.problems[0].line, c.line, formatProblem(bad.problems[0]));
      assert.ok(formatProblem(bad.problems[0]).startsWith(`${c.file}:${c.line}`));
    });
  }

  test('files of unknown kinds are skipped, file by file', async () => {
    const r = await parseOne('notes/readme.rst', 'Title\n=====\n');
    assert.deepEqual(r.skipped, ['notes/readme.rst']);
    assert.deepEqual(r.passed, []);
  });

  test('many Python files compile in one call; only the broken one is named', async () => {
    const files = ['a.py', 'b.py', 'c.py'].map((f, i) => {
      const text = i === 1 ? 'x = (\n' : `x = ${i}\n`;
      writeFileSync(path.join(dir, f), text);
      return { file: f, path: path.join(dir, f), text };
    });
    const r = await parseFiles(files, { scratch: path.join(dir, '.scratch') });
    assert.deepEqual(r.passed, ['a.py', 'c.py']);
    assert.deepEqual(r.problems.map((p) => p.file), ['b.py']);
  });

  test('tsconfig.json may hold comments and trailing commas', async () => {
    const r = await parseOne('tsconfig.json', '{\n  // strict\n  "compilerOptions": { "strict": true, },\n}\n');
    assert.deepEqual(r.problems, []);
  });

  test('file kinds', () => {
    assert.equal(fileKind('requirements-dev.txt'), 'requirements');
    assert.equal(fileKind('requirements/base.txt'), 'requirements');
    assert.equal(fileKind('notes.txt'), undefined);
    assert.equal(fileKind('src/app.mjs'), 'javascript');
    assert.equal(fileKind('src/view.tsx'), 'typescript');
    assert.equal(fileKind('x.yaml'), 'yaml');
  });
});

describe('requirements lines', () => {
  test('valid forms', () => {
    const text = [
      'fastapi==0.115.6',
      'SQLAlchemy>=2,<3',
      'python-slugify',
      'uvicorn[standard] (>=0.30)',
      'pkg @ https://example.invalid/pkg-1.0.whl',
      'pywin32 ; sys_platform == "win32" and python_version < "3.13"',
      '-e ./local',
      '--index-url https://pypi.org/simple',
      '-c constraints.txt',
      './wheels/x.whl',
      'requests==2.32.3 \\',
      '    --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6',
      '',
      '# only a comment',
    ].join('\n');
    assert.deepEqual(checkRequirements(text), []);
  });
  test('invalid forms are named with their line', () => {
    const text = ['ok==1', 'bad name', 'x>=', 'y ; python_version >=', '--frobnicate', 'z==1 -r other.txt'].join('\n');
    assert.deepEqual(
      checkRequirements(text).map((p) => p.line),
      [2, 3, 4, 5, 6],
    );
  });
});
