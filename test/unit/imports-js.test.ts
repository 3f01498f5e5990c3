import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyseJs, jsExports, relativeSpecifier, removeJsNames, unusedJsNames } from '../../server/src/engine/imports';
import { addImport, removeUnused } from '../../server/src/engine/patch/executors/imports';
import type { ExecutorContext } from '../../server/src/engine/contracts';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'imports', 'js');
const TODO = join(ROOT, 'examples', 'todo-api-node');
const tmp = mkdtempSync(join(tmpdir(), 'imports-js-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const ctx = (file: string, text: string, read: ExecutorContext['read'] = async () => undefined): ExecutorContext => ({ workspace: tmp, file, text, exists: true, read });

function nodeCheck(text: string, name: string): { ok: boolean; output: string } {
  const file = join(mkdtempSync(join(tmp, 'check-')), name);
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: r.stderr };
}

test('ES module: every import form, strings, templates, regexes and comments', () => {
  const src = readFileSync(join(FIXTURES, 'esm-module.mjs'), 'utf8');
  const a = analyseJs(src, 'esm-module.mjs');
  assert.deepEqual(a.imports.map((i) => i.module), ['node:fs', 'node:path', './polyfill.js', './format.js', './default.js']);
  assert.equal(a.imports[2].sideEffect, true);
  assert.deepEqual(unusedJsNames(a).map((u) => u.bound).sort(), ['def', 'fs', 'readFileSync', 'stringify', 'write']);
  const out = removeJsNames(src, a, ['fs', 'readFileSync', 'write', 'stringify', 'def']);
  assert.equal(
    out,
    src
      .replace("import fs, { readFileSync, writeFileSync as write } from 'node:fs';\n", '')
      .replace('  stringify, // serialises\n', '')
      .replace("import def from './default.js';\n", ''),
  );
  assert.ok(nodeCheck(out, 'out.mjs').ok);
});

test('TypeScript: import type, inline type specifiers, import = require', () => {
  const src = readFileSync(join(FIXTURES, 'types.ts.txt'), 'utf8');
  const a = analyseJs(src, 'types.ts');
  assert.deepEqual(unusedJsNames(a).map((u) => u.bound).sort(), ['Response', 'helpers', 'json', 'unusedThing']);
  const out = removeJsNames(src, a, ['Response', 'helpers', 'json', 'unusedThing']);
  assert.equal(
    out,
    "import type { Request } from 'express';\nimport { type Router } from 'express';\n\nexport function handler(req: Request): Router | undefined {\n  return undefined;\n}\n",
  );
});

test('CommonJS with CRLF: destructured and plain require; line endings kept', async () => {
  const src = readFileSync(join(FIXTURES, 'commonjs-crlf.js'), 'utf8');
  const out = await removeUnused({ type: 'remove_unused', file: 'lib.js', rationale: 'r', evidence: [], details: { names: ['bee', 'unused'] } }, ctx('lib.js', src));
  assert.equal(out, src.replace("const { a, b: bee, c } = require('./lib');", "const { a, c } = require('./lib');").replace("const unused = require('./unused');\r\n", ''));
  assert.ok(!/[^\r]\n/.test(out), 'only CRLF line endings');
  await assert.rejects(async () => removeUnused({ type: 'remove_unused', file: 'lib.js', rationale: 'r', evidence: [], details: { names: ['express'] } }, ctx('lib.js', src)), /is used/);
});

test('re-exported names and the default import kept with its named list', () => {
  const src = "import React, { useState, useMemo } from 'react';\nimport { x } from './x';\nexport { x };\nexport default React;\nuseState();\n";
  const a = analyseJs(src, 'a.js');
  assert.deepEqual(unusedJsNames(a).map((u) => u.bound), ['useMemo']);
  assert.equal(removeJsNames(src, a, ['useMemo']), src.replace(', useMemo', ''));
  const b = "import React, { useMemo } from 'react';\nReact();\n";
  assert.equal(removeJsNames(b, analyseJs(b), ['useMemo']), "import React from 'react';\nReact();\n");
  const c = "import React, { useMemo } from 'react';\nuseMemo();\n";
  assert.equal(removeJsNames(c, analyseJs(c), ['React']), "import { useMemo } from 'react';\nuseMemo();\n");
});

test('exports of workspace modules and relative specifiers', () => {
  const text = readFileSync(join(TODO, 'src', 'text.js'), 'utf8');
  assert.deepEqual([...jsExports(text).named], ['normalizeTitle']);
  const esm = 'export function a() {}\nexport const b = 1;\nexport { c as d };\nexport * from "./x";\nexports.e = 1;\nmodule.exports.f = 2;\n';
  assert.deepEqual([...jsExports(esm).named].sort(), ['a', 'b', 'd', 'e', 'f']);
  assert.equal(jsExports('module.exports = helper;\n').defaultName, 'helper');
  assert.equal(relativeSpecifier('src/routes/lists.js', 'src/text.js', 'require', false), '../text');
  assert.equal(relativeSpecifier('src/a.ts', 'src/lib/b.ts', 'esm', true), './lib/b.js');
  assert.equal(relativeSpecifier('src/a.js', 'src/lib/index.js', 'require', false), './lib');
});

test('todo-api-node fault a: add_import adds the require after the last one; node --check passes', async () => {
  const file = 'src/routes/lists.js';
  const before = readFileSync(join(TODO, file), 'utf8');
  const out = await addImport({ type: 'add_import', file, rationale: 'r', evidence: [], details: { name: 'normalizeTitle', module: '../text', style: 'named' } }, ctx(file, before));
  const anchor = "const { lists, newId, getList } = require('../store');\n";
  assert.equal(out, before.replace(anchor, `${anchor}const { normalizeTitle } = require('../text');\n`));
  assert.ok(nodeCheck(out, 'lists.js').ok);
  assert.equal(readFileSync(join(TODO, file), 'utf8'), before, 'the example is untouched');
});

test('add_import in ESM, TypeScript, use strict only, shebang and empty files', async () => {
  const op = (name: string, module: string, style: 'named' | 'default' | 'module') => ({ type: 'add_import' as const, file: 'f', rationale: 'r', evidence: [], details: { name, module, style } });
  const run = (file: string, text: string, o: ReturnType<typeof op>) => addImport({ ...o, file }, ctx(file, text));
  assert.equal(await run('a.mjs', "import x from './x.js';\n\nx(y);\n", op('y', './y.js', 'named')), "import x from './x.js';\nimport { y } from './y.js';\n\nx(y);\n");
  assert.equal(await run('a.ts', 'import { a } from "./a"\n\na(b)\n', op('b', './b', 'named')), 'import { a } from "./a"\nimport { b } from "./b"\n\na(b)\n');
  assert.equal(await run('a.js', "'use strict';\nfoo(path);\n", op('path', 'path', 'module')), "'use strict';\n\nconst path = require('path');\n\nfoo(path);\n");
  assert.equal(await run('a.js', '#!/usr/bin/env node\r\nrequire("./x");\r\n', op('fs', 'fs', 'module')), '#!/usr/bin/env node\r\nconst fs = require(\'fs\');\r\n\r\nrequire("./x");\r\n');
  assert.equal(await run('a.mjs', '', op('fs', 'node:fs', 'default')), "import fs from 'node:fs';\n");
  await assert.rejects(async () => run('a.js', "const fs = require('fs');\n", op('fs', 'fs', 'module')), /already imported/);
  await assert.rejects(async () => run('a.js', '', op('a-b', 'x', 'named')), /not a JavaScript identifier/);
});
