import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { analysePython, removePythonNames, unusedPythonNames } from '../../server/src/engine/imports';
import { addImport, removeUnused } from '../../server/src/engine/patch/executors/imports';
import { PatchError, type ExecutorContext } from '../../server/src/engine/contracts';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'imports', 'python');
const SHOP = join(ROOT, 'examples', 'shop-api');
let python = '';
let tmp = '';

before(() => {
  python = execFileSync('bash', [join(ROOT, 'scripts', 'setup-python.sh')], { encoding: 'utf8' }).trim();
  tmp = mkdtempSync(join(tmpdir(), 'imports-py-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** ruff's F401 safe fixes on a copy of the file; returns the fixed bytes. */
function ruffFix(file: string, select = 'F401'): string {
  const dir = mkdtempSync(join(tmp, 'ruff-'));
  const copy = join(dir, basename(file));
  copyFileSync(file, copy);
  spawnSync(python, ['-m', 'ruff', 'check', '--isolated', '--no-cache', '--select', select, '--fix', '--quiet', copy], { encoding: 'utf8' });
  return readFileSync(copy, 'utf8');
}

function ruffClean(text: string, name: string, select: string): { ok: boolean; output: string } {
  const file = join(mkdtempSync(join(tmp, 'check-')), name);
  writeFileSync(file, text);
  const r = spawnSync(python, ['-m', 'ruff', 'check', '--isolated', '--no-cache', '--select', select, '--output-format', 'concise', file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: r.stdout + r.stderr };
}

function execCtx(file: string, text: string, workspace = tmp, read: ExecutorContext['read'] = async () => undefined): ExecutorContext {
  return { workspace, file, text, exists: true, read };
}

function parses(text: string): boolean {
  return spawnSync(python, ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: text }).status === 0;
}

const comparisonFiles = () => [
  ...readdirSync(FIXTURES).filter((f) => f.endsWith('.py')).map((f) => join(FIXTURES, f)),
  ...readdirSync(join(SHOP, 'app', 'routers')).filter((f) => f.endsWith('.py') && f !== '__init__.py').map((f) => join(SHOP, 'app', 'routers', f)),
  ...['db.py', 'main.py', 'models.py', 'schemas.py'].map((f) => join(SHOP, 'app', f)),
];

test('unused names and their removal agree byte for byte with ruff F401 safe fixes', async () => {
  let compared = 0;
  let removedTotal = 0;
  for (const file of comparisonFiles()) {
    const source = readFileSync(file, 'utf8');
    const analysis = await analysePython(source, { file: basename(file) });
    assert.ok(analysis.ok, `${file} parses`);
    const names = [...new Set(unusedPythonNames(analysis).map((u) => u.bound))];
    const mine = names.length ? removePythonNames(source, analysis, names) : source;
    assert.equal(mine, ruffFix(file), `${basename(file)}: removing ${names.join(', ') || 'nothing'} differs from ruff`);
    compared++;
    removedTotal += names.length;
  }
  assert.ok(compared >= 12, `compared ${compared} files`);
  assert.ok(removedTotal >= 30, `removed ${removedTotal} names in all`);
});

test('the unused-name set of the style fixture is exactly what it should be', async () => {
  const source = readFileSync(join(FIXTURES, 'styles.py'), 'utf8');
  const analysis = await analysePython(source, { file: 'styles.py' });
  const names = unusedPythonNames(analysis).map((u) => u.bound).sort();
  assert.deepEqual(names, ['Any', 'Dict', 'ET', 'InvalidOperation', 'chain', 'collections', 'digits', 'helper_b', 'islice', 'os', 'partial', 're', 'sibling', 'textwrap', 'thing', 'wraps'].sort());
  // __future__ and try/except ImportError imports are never candidates.
  assert.ok(analysis.ok);
  const future = analysis.imports.find((i) => i.module === '__future__');
  assert.equal(future?.names[0].keep, 'future');
  const ujson = analysis.imports.find((i) => i.names.some((n) => n.bound === 'ujson'));
  assert.equal(ujson?.names[0].keep, 'try-import-error');
});

test('__init__ re-exports, __all__, try/except ImportError and `x as x` are left alone; TYPE_CHECKING imports are not', async () => {
  const source = [
    'from typing import TYPE_CHECKING',
    'from .models import Customer, Order',
    'from .util import helper as helper',
    '__all__ = ["Order"]',
    'if TYPE_CHECKING:',
    '    from .types import Hidden',
    'try:',
    '    import orjson',
    'except ImportError:',
    '    orjson = None',
    '',
  ].join('\n');
  const init = await analysePython(source, { file: 'app/__init__.py' });
  assert.deepEqual(unusedPythonNames(init), []);
  const mod = await analysePython(source, { file: 'app/mod.py' });
  assert.deepEqual(unusedPythonNames(mod).map((u) => u.bound), ['Customer', 'Hidden']);
  assert.throws(() => removePythonNames(source, mod, ['Order']), /__all__/);
  assert.throws(() => removePythonNames(source, mod, ['orjson']), /ImportError/);
  assert.throws(() => removePythonNames(source, mod, ['helper']), /re-export/);
  assert.throws(() => removePythonNames(source, mod, ['TYPE_CHECKING']), /is used/);
  // ruff fixes an unused import under TYPE_CHECKING like any other; the emptied block gets `pass`.
  const out = removePythonNames(source, mod, ['Hidden']);
  assert.equal(out, source.replace('    from .types import Hidden', '    pass'));
  const file = join(tmp, 'checking.py');
  writeFileSync(file, source);
  assert.equal(removePythonNames(source, mod, ['Customer', 'Hidden']), ruffFix(file));
});

test('shop-api fault f: remove_unused deletes exactly the function-local `import ipdb` line', async () => {
  const file = 'app/routers/customers.py';
  const before = readFileSync(join(SHOP, file), 'utf8');
  const out = await removeUnused({ type: 'remove_unused', file, rationale: 'r', evidence: [], details: { names: ['ipdb'], line: 31 } }, execCtx(file, before));
  const lines = before.split('\n');
  assert.equal(lines[30], '    import ipdb');
  assert.equal(out, [...lines.slice(0, 30), ...lines.slice(31)].join('\n'));
  assert.equal(out, ruffFix(join(SHOP, file)));
  assert.equal(readFileSync(join(SHOP, file), 'utf8'), before, 'the example is untouched');
});

test('remove_unused refuses a used name, an unknown name and a wrong line with a located PatchError', async () => {
  const file = 'app/routers/customers.py';
  const text = readFileSync(join(SHOP, file), 'utf8');
  const op = (names: string[], line?: number) => ({ type: 'remove_unused' as const, file, rationale: 'r', evidence: [], details: { names, line } });
  await assert.rejects(async () => removeUnused(op(['select']), execCtx(file, text)), (e: unknown) => e instanceof PatchError && /is used/.test(e.message) && e.line === 4);
  await assert.rejects(async () => removeUnused(op(['nope']), execCtx(file, text)), /no import binds "nope"/);
  await assert.rejects(async () => removeUnused(op(['ipdb'], 5), execCtx(file, text)), /on line 5/);
  await assert.rejects(async () => removeUnused(op(['x']), execCtx(file, 'def broken(:\n')), /does not parse/);
});

test('a lone import in a block becomes `pass`, like ruff', async () => {
  const source = 'def f():\n    import os\n\n\ndef g():\n    import sys, json\n    return json\n';
  const analysis = await analysePython(source);
  const out = removePythonNames(source, analysis, ['os', 'sys']);
  assert.equal(out, 'def f():\n    pass\n\n\ndef g():\n    import json\n    return json\n');
  const file = join(tmp, 'lone.py');
  writeFileSync(file, source);
  assert.equal(out, ruffFix(file));
});

test('names removed together from one block leave `pass` where ruff leaves it, for every block kind', async () => {
  const blocks = [
    ['def f():', ''],
    ['class K:\n    x = 1\n    def m(self):', '    '],
    ['if x:', ''],
    ['if x:\n    pass\nelif y:', ''],
    ['if x:\n    pass\nelse:', ''],
    ['try:', '', 'except ValueError:\n    pass\n'],
    ['try:\n    pass\nexcept ValueError:', ''],
    ['try:\n    pass\nfinally:', ''],
    ['with open(x):', ''],
    ['for i in x:', ''],
    ['while x:', ''],
    ['async def g():\n    async with x:', '    '],
    ['match x:\n    case 1:', '    '],
  ];
  for (const [head, extra, after = ''] of blocks) {
    const at = `${extra}    `;
    const source = `${head}\n${at}import json\n${at}from os import path, sep\n${at}import re; import csv\n${after}`;
    const analysis = await analysePython(source);
    const out = removePythonNames(source, analysis, ['json', 'path', 'sep', 're', 'csv']);
    const file = join(tmp, 'block.py');
    writeFileSync(file, source);
    assert.equal(out, ruffFix(file), head);
    assert.ok(parses(out), `${head}: the result parses`);
  }
});

test('a name imported twice on one line: the removable binding goes, and the earlier one with it when asked', async () => {
  const source = 'def f():\n    import os; import os\n    return 1\n';
  const analysis = await analysePython(source);
  assert.deepEqual(unusedPythonNames(analysis), [{ bound: 'os', line: 2, module: 'os' }]);
  // ruff reports the last binding only; once it is gone, the first is the last, and goes too (up to
  // its semicolon: the indentation and the space after it stay, as ruff leaves them).
  assert.equal(removePythonNames(source, analysis, ['os'], 2), 'def f():\n     \n    return 1\n');
  const file = join(tmp, 'twice.py');
  writeFileSync(file, source);
  assert.equal(removePythonNames(source, analysis, ['os'], 2), ruffFix(file));
  // A binding replaced by an assignment stays: the assignment is what later code reads.
  const rebound = 'import os\nos = None\n';
  const reboundAnalysis = await analysePython(rebound);
  assert.throws(() => removePythonNames(rebound, reboundAnalysis, ['os']), /bound again later/);
});

// ---------------------------------------------------------------- add_import

const addOp = (file: string, name: string, module: string, style: 'module' | 'named' | 'default') => ({
  type: 'add_import' as const,
  file,
  rationale: 'r',
  evidence: [],
  details: { name, module, style },
});

test('shop-api fault a: `import uuid` goes in its own stdlib group after the docstring; ruff F821 is then clean', async () => {
  const file = 'app/routers/orders.py';
  const before = readFileSync(join(SHOP, file), 'utf8');
  assert.equal(ruffClean(before, 'orders.py', 'F821').ok, false, 'the fault is real: F821 before');
  const read = async (f: string) => {
    try {
      return readFileSync(join(SHOP, f), 'utf8');
    } catch {
      return undefined;
    }
  };
  const out = await addImport(addOp(file, 'uuid', 'uuid', 'module'), execCtx(file, before, SHOP, read));
  assert.ok(out.startsWith('"""Orders: checkout, payment and cancellation."""\n\nimport uuid\n\nfrom fastapi import APIRouter'), out.slice(0, 120));
  assert.equal(out.replace('import uuid\n\n', ''), before, 'only the new line and its blank line are added');
  const check = ruffClean(out, 'orders.py', 'F821,F401');
  assert.ok(parses(out));
  assert.ok(check.ok, check.output);
});

test('add_import places imports after docstrings, __future__, shebang and encoding lines, keeping CRLF', async () => {
  const cases: Array<{ name: string; src: string; op: ReturnType<typeof addOp>; want: string }> = [
    { name: 'empty', src: '', op: addOp('m.py', 'os', 'os', 'module'), want: 'import os\n' },
    { name: 'code only', src: 'x = os.sep\n', op: addOp('m.py', 'os', 'os', 'module'), want: 'import os\n\nx = os.sep\n' },
    {
      name: 'shebang and encoding',
      src: '#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(json.dumps(1))\n',
      op: addOp('m.py', 'json', 'json', 'module'),
      want: '#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nimport json\n\nprint(json.dumps(1))\n',
    },
    {
      name: 'docstring and __future__',
      src: '"""Doc."""\nfrom __future__ import annotations\n\nx = re.compile("a")\n',
      op: addOp('m.py', 're', 're', 'module'),
      want: '"""Doc."""\nfrom __future__ import annotations\n\nimport re\n\nx = re.compile("a")\n',
    },
    {
      name: 'CRLF, after the last stdlib import',
      src: 'import os\r\nimport sys\r\n\r\nfrom fastapi import APIRouter\r\n\r\nprint(json, os, sys, APIRouter)\r\n',
      op: addOp('m.py', 'json', 'json', 'module'),
      want: 'import os\r\nimport sys\r\nimport json\r\n\r\nfrom fastapi import APIRouter\r\n\r\nprint(json, os, sys, APIRouter)\r\n',
    },
    {
      name: 'third-party group after stdlib',
      src: 'import os\n\nx = HTTPException\n',
      op: addOp('m.py', 'HTTPException', 'fastapi', 'named'),
      want: 'import os\n\nfrom fastapi import HTTPException\n\nx = HTTPException\n',
    },
    {
      name: 'no final newline',
      src: '"""Doc."""',
      op: addOp('m.py', 'os', 'os', 'module'),
      want: '"""Doc."""\n\nimport os\n',
    },
  ];
  for (const c of cases) {
    const out = await addImport(c.op, execCtx('m.py', c.src));
    assert.equal(out, c.want, c.name);
    assert.ok(parses(out), `${c.name} still parses`);
  }
});

test('add_import refuses bad requests with a clear error', async () => {
  await assert.rejects(async () => addImport(addOp('m.py', 'os', 'os', 'module'), execCtx('m.py', 'import os\n')), /already imported/);
  await assert.rejects(async () => addImport(addOp('m.py', 'x', 'a b', 'named'), execCtx('m.py', '')), /not a Python module path/);
  await assert.rejects(async () => addImport(addOp('m.py', 'x', 'x', 'default'), execCtx('m.py', '')), /no default imports/);
  await assert.rejects(async () => addImport(addOp('m.txt', 'x', 'x', 'named'), execCtx('m.txt', '')), /neither Python nor JavaScript/);
});
