/**
 * Manifest editors on real files in several styles: the edit adds exactly one line (or one array
 * element), every other byte stays, and the manifest parses to the original data plus the
 * dependency. Fuzzed with fast-check on random valid requirements files and package.json files.
 *
 * Run: node --import tsx --test test/unit/deps-manifests.test.ts
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diffLines } from 'diff';
import fc from 'fast-check';
import { parse as parseToml } from 'smol-toml';
import {
  addPackageJsonDependency,
  addPyprojectDependency,
  addRequirement,
  parseRequirements,
  pinPackageJsonDependency,
  pinPyprojectDependency,
  pinRequirement,
} from '../../server/src/engine/deps';
import { addDependency, pinDependency } from '../../server/src/engine/patch/executors/dependency';
import { PatchError, type ExecutorContext } from '../../server/src/engine/contracts';

const STYLES = path.resolve(import.meta.dirname, '..', 'fixtures', 'manifests', 'styles');
const read = (f: string) => readFileSync(path.join(STYLES, f), 'utf8');

/** Lines added and removed between two texts, line endings included. */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const added: string[] = [];
  const removed: string[] = [];
  for (const part of diffLines(before, after)) {
    const lines = part.value.split(/(?<=\n)/).filter((l) => l.length > 0);
    if (part.added) added.push(...lines);
    if (part.removed) removed.push(...lines);
  }
  return { added, removed };
}

function assertOneLineAdded(before: string, after: string, line: RegExp): void {
  const d = lineDiff(before, after);
  assert.equal(d.removed.length, 0, `nothing removed, got: ${JSON.stringify(d.removed)}`);
  assert.equal(d.added.length, 1, `exactly one line added, got: ${JSON.stringify(d.added)}`);
  assert.match(d.added[0], line);
}

const ctx = (file: string, text: string): ExecutorContext => ({ workspace: '/ws', file, text, exists: true, read: async () => undefined });

describe('requirements.txt', () => {
  test('comments, extras, markers, includes, hashes and editables stay; the new line goes last', () => {
    const before = read('requirements-comments.txt');
    const after = addRequirement(before, 'python-slugify');
    assert.equal(after, before + 'python-slugify\n');
    assertOneLineAdded(before, after, /^python-slugify\n$/);
    const names = parseRequirements(after).requirements.map((r) => r.key);
    assert.deepEqual(names, ['fastapi', 'uvicorn', 'requests', 'internal-lib', 'python-slugify']);
  });

  test('CRLF files get a CRLF line', () => {
    const before = read('requirements-crlf.txt');
    const after = addRequirement(before, 'PyYAML', '>=6');
    assert.equal(after, before + 'PyYAML>=6\r\n');
    assertOneLineAdded(before, after, /^PyYAML>=6\r\n$/);
  });

  test('a file without a final newline still has none', () => {
    const before = read('requirements-no-final-newline.txt');
    const after = addRequirement(before, 'python-slugify');
    assert.equal(after, 'fastapi==0.115.6\nuvicorn==0.32.1\npython-slugify');
    assert.ok(!after.endsWith('\n'));
  });

  test('already present (PEP 503 names: case, -, _ and . alike) is refused with its line', () => {
    const before = read('requirements-comments.txt');
    assert.throws(() => addRequirement(before, 'UVICORN'), /"uvicorn" is already required/);
    assert.throws(() => addRequirement(before, 'Internal.Lib'), /already required/);
    assert.throws(() => addRequirement(before, 'bad name!'), /not a valid Python distribution name/);
    assert.throws(() => addRequirement(before, 'ok', 'latest'), /not a Python version specifier/);
  });

  test('pin replaces only the specifier, keeping extras, markers and comments', () => {
    const before = read('requirements-comments.txt');
    const after = pinRequirement(before, 'uvicorn', '0.32.1');
    const d = lineDiff(before, after);
    assert.deepEqual(d.removed, ['uvicorn[standard]>=0.30 ; python_version >= "3.9"\n']);
    assert.deepEqual(d.added, ['uvicorn[standard]==0.32.1 ; python_version >= "3.9"\n']);
    assert.equal(pinRequirement(before, 'fastapi', '>=0.115,<0.116'), before.replace('fastapi==0.115.6  # pinned', 'fastapi>=0.115,<0.116  # pinned'));
    assert.throws(() => pinRequirement(before, 'internal-lib', '1.0'), /direct reference/);
    assert.throws(() => pinRequirement(before, 'flask', '1.0'), /not required/);
  });
});

describe('pyproject.toml', () => {
  test('PEP 621 multi-line array with comments: one line in alphabetical place, in the array\'s quote style', () => {
    const before = read('pyproject-pep621.toml');
    const after = addPyprojectDependency(before, 'python-slugify');
    assertOneLineAdded(before, after, /^ {4}"python-slugify",\n$/);
    const doc = parseToml(after) as { project: { dependencies: string[] } };
    assert.deepEqual(doc.project.dependencies, ['fastapi>=0.115', 'python-slugify', "uvicorn[standard]>=0.30; python_version >= '3.9'"]);
  });

  test('PEP 621 single-line array, single quotes, CRLF: the element joins the line', () => {
    const before = read('pyproject-pep621-single-line-crlf.toml');
    const after = addPyprojectDependency(before, 'PyYAML', '>=6');
    assert.equal(after, before.replace("['fastapi', 'uvicorn']", "['fastapi', 'uvicorn', 'PyYAML>=6']"));
  });

  test('PEP 621 optional extra', () => {
    const before = read('pyproject-pep621.toml');
    const after = addPyprojectDependency(before, 'hypothesis', undefined, 'test');
    assert.equal(after, before.replace('test = ["pytest>=8"]', 'test = ["pytest>=8", "hypothesis"]'));
  });

  test('Poetry main and group tables: `name = "*"` in alphabetical place', () => {
    const before = read('pyproject-poetry.toml');
    const main = addPyprojectDependency(before, 'python-slugify');
    assertOneLineAdded(before, main, /^python-slugify = "\*"\n$/);
    assert.ok(main.indexOf('python-slugify') > main.indexOf('fastapi') && main.indexOf('python-slugify') < main.indexOf('uvicorn ='));
    const dev = addPyprojectDependency(before, 'mypy', '^1.11', 'dev');
    assertOneLineAdded(before, dev, /^mypy = "\^1\.11"\n$/);
    const created = addPyprojectDependency(before, 'mkdocs', undefined, 'docs');
    assert.match(created, /\n\[tool\.poetry\.group\.docs\.dependencies\]\nmkdocs = "\*"\n$/);
    assert.ok(created.startsWith(before));
  });

  test('declared already, dynamic dependencies and broken files are refused', () => {
    assert.throws(() => addPyprojectDependency(read('pyproject-pep621.toml'), 'FastAPI'), /already in project\.dependencies/);
    assert.throws(() => addPyprojectDependency(read('pyproject-poetry.toml'), 'Uvicorn'), /already a Poetry dependency/);
    assert.throws(() => addPyprojectDependency('[project]\nname = "x"\ndynamic = ["dependencies"]\n', 'a'), /dynamic/);
    assert.throws(() => addPyprojectDependency('[project\nname = "x"\n', 'a'), /does not parse/);
  });

  test('pin: the PEP 621 string and the Poetry inline table version', () => {
    const pep = read('pyproject-pep621.toml');
    assert.equal(pinPyprojectDependency(pep, 'uvicorn', '0.32.1'), pep.replace('uvicorn[standard]>=0.30;', 'uvicorn[standard]==0.32.1;'));
    const poetry = read('pyproject-poetry.toml');
    assert.equal(pinPyprojectDependency(poetry, 'uvicorn', '^0.33'), poetry.replace('version = "^0.32"', 'version = "^0.33"'));
    assert.equal(pinPyprojectDependency(poetry, 'pytest', '8.3.3'), poetry.replace('pytest = "^8.0"', 'pytest = "8.3.3"'));
  });
});

describe('package.json', () => {
  test('tabs: one line, alphabetical, tab-indented', () => {
    const before = read('package-tabs.json');
    const after = addPackageJsonDependency(before, 'csv-stringify', '^6.5.2');
    assertOneLineAdded(before, after, /^\t\t"csv-stringify": "\^6\.5\.2",\n$/);
  });

  test('unsorted keys and CRLF: last, the previous last line gets its comma, no final newline kept', () => {
    const before = read('package-unsorted-crlf.json');
    const after = addPackageJsonDependency(before, 'csv-stringify', '^6.5.2');
    const d = lineDiff(before, after);
    assert.deepEqual(d.removed, ['        "express": "^4.21.2"\r\n']);
    assert.deepEqual(d.added, ['        "express": "^4.21.2",\r\n', '        "csv-stringify": "^6.5.2"\r\n']);
    assert.ok(!after.endsWith('\n'));
    const dev = addPackageJsonDependency(before, 'tsx', '^4.19.0', 'dev');
    // One key is a sorted list: the new one goes in its alphabetical place.
    assertOneLineAdded(before, dev, /^ {8}"tsx": "\^4\.19\.0",\r\n$/);
  });

  test('no dependencies object: created in the file\'s indentation', () => {
    const before = read('package-no-deps.json');
    const after = addPackageJsonDependency(before, 'express', '^4.21.2');
    assert.equal(after, before.replace('  }\n}\n', '  },\n  "dependencies": {\n    "express": "^4.21.2"\n  }\n}\n'));
    assert.deepEqual(Object.keys(JSON.parse(after)), ['name', 'version', 'scripts', 'dependencies']);
  });

  test('refusals: present, tags, invalid names, broken JSON', () => {
    const tabs = read('package-tabs.json');
    assert.throws(() => addPackageJsonDependency(tabs, 'express', '^5.0.0'), /already in dependencies/);
    assert.throws(() => addPackageJsonDependency(tabs, 'left-pad', 'latest'), /not a semver range/);
    assert.throws(() => addPackageJsonDependency(tabs, 'Bad Name', '1.0.0'), /not a valid npm package name/);
    assert.throws(() => addPackageJsonDependency('{"a": ', 'x', '1.0.0'), /does not parse/);
  });

  test('pin replaces only the version string', () => {
    const tabs = read('package-tabs.json');
    assert.equal(pinPackageJsonDependency(tabs, 'morgan', '^1.10.1'), tabs.replace('"morgan": "^1.10.0"', '"morgan": "^1.10.1"'));
  });
});

describe('executors', () => {
  test('dispatch on the file name; errors are PatchErrors located in the manifest', async () => {
    const req = read('requirements-crlf.txt');
    const op = { type: 'add_dependency' as const, file: 'requirements.txt', rationale: 'r', evidence: [], details: { name: 'python-slugify' } };
    assert.equal(await addDependency(op, ctx('requirements.txt', req)), req + 'python-slugify\r\n');
    const pj = read('package-tabs.json');
    const out = await addDependency({ ...op, file: 'package.json', details: { name: 'csv-stringify' } }, ctx('package.json', pj));
    assert.match(out, /\t\t"csv-stringify": "\*",\n/);
    await assert.rejects(async () => addDependency({ ...op, details: { name: 'fastapi' } }, ctx('requirements.txt', req)), (e: unknown) => e instanceof PatchError && e.line === 1 && e.file === 'requirements.txt');
    await assert.rejects(async () => addDependency(op, ctx('setup.cfg', '')), /not a dependency manifest/);
    const created = await addDependency(op, { ...ctx('requirements.txt', ''), exists: false });
    assert.equal(created, 'python-slugify\n');
    const pin = { type: 'pin_dependency' as const, file: 'pyproject.toml', rationale: 'r', evidence: [], details: { name: 'fastapi', version: '^0.116' } };
    assert.match(await pinDependency(pin, ctx('pyproject.toml', read('pyproject-poetry.toml'))), /fastapi = "\^0\.116"/);
  });

  test('deterministic: the same operation on the same text gives the same bytes', async () => {
    const text = read('pyproject-poetry.toml');
    const op = { type: 'add_dependency' as const, file: 'pyproject.toml', rationale: 'r', evidence: [], details: { name: 'PyYAML', version: '>=6' } };
    const a = await addDependency(op, ctx('pyproject.toml', text));
    const b = await addDependency(op, ctx('pyproject.toml', text));
    assert.equal(a, b);
  });
});

describe('fuzz', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9]{0,6}(?:[-_.][a-z0-9]{1,5})?$/);
  const version = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([a, b, c]) => `${a}.${b}.${c}`);

  test('requirements.txt: the edit adds exactly one requirement and keeps everything else', () => {
    const line = fc.oneof(
      fc.tuple(name, fc.constantFrom('', '==', '>=', '~='), version, fc.constantFrom('', '  # note', ' ; python_version >= "3.9"')).map(([n, op, v, tail]) => `${n}${op ? op + v : ''}${tail}`),
      fc.constantFrom('', '# comment', '-r base.txt', '--index-url https://example.org/simple'),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), name, (lines, eol, finalNewline, newName) => {
        const text = lines.join(eol) + (finalNewline && lines.length ? eol : '');
        const before = parseRequirements(text).requirements.map((r) => r.key);
        const key = newName.toLowerCase().replace(/[-_.]+/g, '-');
        if (before.includes(key)) {
          assert.throws(() => addRequirement(text, newName));
          return;
        }
        const after = addRequirement(text, newName);
        assert.deepEqual(parseRequirements(after).requirements.map((r) => r.key), [...before, key]);
        const fileEol = text.includes('\n') ? eol : '\n';
        assert.ok(after.startsWith(text.endsWith(fileEol) || text === '' ? text : text + fileEol));
        const d = lineDiff(text, after);
        assert.equal(d.removed.length, text !== '' && !text.endsWith('\n') ? 1 : 0);
      }),
      { numRuns: 300 },
    );
  });

  test('package.json: the edit adds exactly one key and keeps everything else', () => {
    const deps = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), version.map((v) => `^${v}`), { maxKeys: 8 });
    fc.assert(
      fc.property(deps, fc.constantFrom('  ', '    ', '\t'), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean(), fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), (d, indent, eol, sorted, withDeps, newName) => {
        const entries = Object.entries(d);
        if (sorted) entries.sort(([a], [b]) => a.localeCompare(b, 'en'));
        const doc: Record<string, unknown> = { name: 'fuzz', version: '1.0.0' };
        if (withDeps) doc.dependencies = Object.fromEntries(entries);
        const text = JSON.stringify(doc, null, indent).replace(/\n/g, eol) + eol;
        if (withDeps && newName in d) {
          assert.throws(() => addPackageJsonDependency(text, newName, '^1.0.0'));
          return;
        }
        const after = addPackageJsonDependency(text, newName, '^1.0.0');
        const parsed = JSON.parse(after) as { dependencies: Record<string, string> };
        assert.equal(parsed.dependencies[newName], '^1.0.0');
        delete parsed.dependencies[newName];
        if (!withDeps) delete (parsed as Record<string, unknown>).dependencies;
        assert.deepEqual(parsed, doc);
        const diff = lineDiff(text, after);
        assert.ok(diff.removed.length <= 1, `at most the previous last member changes: ${JSON.stringify(diff.removed)}`);
        const emptyBefore = withDeps && entries.length === 0;
        if (emptyBefore) assert.deepEqual(diff.removed, [`${indent}"dependencies": {}${eol}`]);
        else for (const r of diff.removed) assert.ok(diff.added.includes(r.replace(/(\r?\n)$/, ',$1')), 'a removed line only gains a comma');
        if (withDeps && sorted) {
          const keys = Object.keys(JSON.parse(after).dependencies);
          assert.deepEqual(keys, [...keys].sort((a, b) => a.localeCompare(b, 'en')));
        }
        assert.ok(after.endsWith(eol));
      }),
      { numRuns: 300 },
    );
  });
});
