import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { EnvironmentError } from '../../server/src/engine/model';
import { resolveBuildSpec, substituteComposeVariables } from '../../server/src/engine/runtime/dockerBuild';

test('compose variables are substituted as compose does', () => {
  const env = { BASE: 'local/python', EMPTY: '' };
  assert.equal(substituteComposeVariables('${BASE}', env), 'local/python');
  assert.equal(substituteComposeVariables('${MISSING:-python:3.12-slim}', env), 'python:3.12-slim');
  assert.equal(substituteComposeVariables('${EMPTY:-x} ${EMPTY-y}', env), 'x ');
  assert.equal(substituteComposeVariables('$BASE/$$HOME', env), 'local/python/$HOME');
});

test('the build comes from the compose service: context, dockerfile, args, then the configured args over them', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'smoke-build-'));
  writeFileSync(path.join(dir, 'api.Dockerfile'), 'FROM scratch\n');
  const compose = path.join(dir, 'compose.yaml');
  writeFileSync(compose, 'services:\n  api:\n    build:\n      context: .\n      dockerfile: api.Dockerfile\n      args:\n        - BASE=${BASE:-python:3.12-slim}\n        - MODE=dev\n  db: null\n');
  const spec = resolveBuildSpec({ workspace: dir, composeFile: compose, service: 'api', image: 'x:1', buildArgs: { MODE: 'ci' }, env: {} });
  assert.deepEqual(spec, { context: dir, dockerfile: 'api.Dockerfile', args: { BASE: 'python:3.12-slim', MODE: 'ci' }, image: 'x:1' });
});

test('no Dockerfile: a clear refusal', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'smoke-build-'));
  assert.throws(() => resolveBuildSpec({ workspace: dir, image: 'x', buildArgs: {} }), (e: unknown) => e instanceof EnvironmentError && /no Dockerfile/.test(e.message));
  writeFileSync(path.join(dir, 'compose.yaml'), 'services: [not, a, map\n');
  assert.throws(() => resolveBuildSpec({ workspace: dir, composeFile: path.join(dir, 'compose.yaml'), service: 'api', image: 'x', buildArgs: {} }), /could not be read as YAML/);
});
