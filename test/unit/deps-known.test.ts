/**
 * Known-package check against the bundled popularity lists, import-name mapping, specifiers and
 * standard libraries.
 *
 * Run: node --import tsx --test test/unit/deps-known.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkPackageName,
  editDistance,
  isNodeBuiltin,
  isPythonStdlib,
  npmPackageOf,
  popularityList,
  PYTHON_IMPORT_TO_DISTRIBUTION,
  pythonDistributionFor,
} from '../../server/src/engine/deps';

test('the bundled lists hold the most-downloaded names in order', () => {
  const pypi = popularityList('pypi');
  const npm = popularityList('npm');
  assert.ok(pypi && pypi.names.length >= 14_000 && pypi.rank.get('requests')! < 20);
  assert.ok(npm && npm.names.length === 20_000 && npm.rank.get('express')! < 1000);
});

test('known names carry their rank; unknown names say so', () => {
  assert.deepEqual(checkPackageName('pypi', 'Python_Slugify').status, 'known');
  assert.match(checkPackageName('pypi', 'requests').evidence, /^known-package: pypi rank \d+$/);
  assert.match(checkPackageName('npm', 'csv-stringify').evidence, /^known-package: npm rank \d+$/);
  assert.deepEqual(checkPackageName('pypi', 'acme-internal-billing'), { status: 'unknown', name: 'acme-internal-billing', evidence: 'unknown-package: acme-internal-billing' });
});

test('typosquats: swapped letters, an added s, prefix games, separators', () => {
  const cases: Array<['pypi' | 'npm', string, string]> = [
    ['pypi', 'reqeusts', 'requests'],
    ['pypi', 'python-dateutils', 'python-dateutil'],
    ['npm', 'expresss', 'express'],
    ['npm', 'lodahs', 'lodash'],
    ['pypi', 'python-requests', 'requests'],
    ['npm', 'lodash_merge', 'lodash.merge'],
  ];
  for (const [registry, name, real] of cases) {
    const v = checkPackageName(registry, name);
    assert.equal(v.status, 'imitation', `${name}: ${JSON.stringify(v)}`);
    assert.equal(v.status === 'imitation' && v.imitates, real, name);
  }
  // A popular name close to a more popular one is not an imitation.
  assert.equal(checkPackageName('pypi', 'slugify').status, 'known');
  assert.equal(checkPackageName('npm', 'chalk').status, 'known');
});

test('edit distance counts an adjacent swap as one and stops past the limit', () => {
  assert.equal(editDistance('requests', 'reqeusts'), 1);
  assert.equal(editDistance('express', 'expresss'), 1);
  assert.equal(editDistance('abc', 'xyzabc', 2), 3);
});

test('import name → distribution: at least 40 documented mismatches, longest dotted prefix first', () => {
  assert.ok(Object.keys(PYTHON_IMPORT_TO_DISTRIBUTION).length >= 40);
  for (const [mod, dist] of [
    ['yaml', 'PyYAML'],
    ['jwt', 'PyJWT'],
    ['PIL.Image', 'Pillow'],
    ['cv2', 'opencv-python'],
    ['sklearn.linear_model', 'scikit-learn'],
    ['bs4', 'beautifulsoup4'],
    ['slugify', 'python-slugify'],
    ['dateutil.parser', 'python-dateutil'],
    ['google.protobuf.json_format', 'protobuf'],
    ['requests', 'requests'],
  ]) assert.equal(pythonDistributionFor(mod).name, dist, mod);
  for (const dist of Object.values(PYTHON_IMPORT_TO_DISTRIBUTION)) assert.notEqual(checkPackageName('pypi', dist).status, 'imitation', dist);
});

test('npm package of a specifier', () => {
  assert.equal(npmPackageOf('csv-stringify/sync'), 'csv-stringify');
  assert.equal(npmPackageOf('@scope/pkg/sub/path'), '@scope/pkg');
  assert.equal(npmPackageOf('./x'), undefined);
  assert.equal(npmPackageOf('../x'), undefined);
  assert.equal(npmPackageOf('/abs/x'), undefined);
  assert.equal(npmPackageOf('#internal'), undefined);
  assert.equal(npmPackageOf('node:fs'), undefined);
});

test('standard libraries', () => {
  for (const m of ['os', 'json', 'tomllib', 'xml.etree.ElementTree', 'asyncio']) assert.ok(isPythonStdlib(m), m);
  for (const m of ['slugify', 'yaml', 'requests']) assert.ok(!isPythonStdlib(m), m);
  for (const m of ['fs', 'fs/promises', 'node:test', 'node:sqlite', 'path']) assert.ok(isNodeBuiltin(m), m);
  assert.ok(!isNodeBuiltin('express'));
});
