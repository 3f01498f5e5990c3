import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Frame, Violation } from '../../server/src/engine/model';
import { lineChanged, staleEvidence } from '../../server/src/engine/repair/lineShift';
import type { FilePatch } from '../../server/src/engine/contracts';

const helpers = ['import json', 'import ipdb', '', '', 'def audit(event):', '    return json.dumps(event)', ''].join('\n');
const withoutIpdb = ['import json', '', '', '', 'def audit(event):', '    return json.dumps(event)', ''].join('\n').replace('import json\n\n', 'import json\n');

function patch(file: string, before: string, after: string): FilePatch {
  return { file, before, after, diff: '', added: 0, removed: 1 };
}

function frame(file: string, line: number, fn = 'f'): Frame {
  return { file, rawFile: `/app/${file}`, line, function: fn, inWorkspace: true };
}

function violation(frames: Frame[], location = frames[frames.length - 1]): Violation {
  return {
    id: 'v:500', scenarioId: 'v', scenario: 'v', method: 'GET', path: '/v', expectedStatus: 200, actualStatus: 500,
    failureType: 'RUNTIME', strategy: 'DEPENDENCY', retryable: false, signals: [], message: 'm',
    trace: { language: 'python', exceptionClass: 'ModuleNotFoundError', message: "No module named 'ipdb'", frames, causes: [], text: '' },
    location: { file: location.file, line: location.line }, locationKind: 'frame', logExcerpt: '', pinned: true,
    request: { method: 'GET', path: '/v' }, response: { status: 500, bodyExcerpt: '' }, window: { startedAt: 0, endedAt: 1 },
  };
}

test('a line a fix removed or changed is changed; the lines around it are not', () => {
  assert.equal(lineChanged(helpers, withoutIpdb, 2), true);
  assert.equal(lineChanged(helpers, withoutIpdb, 1), false);
  assert.equal(lineChanged(helpers, withoutIpdb, 5), false);
});

test('a trace through a line an earlier fix deleted is stale: it would undo the fix', () => {
  // Both requests failed on the same unused import; the first fix deleted it.
  const second = violation([frame('app/routers/orders.py', 30, 'read_order'), frame('app/helpers.py', 2, '<module>')]);
  assert.deepEqual(staleEvidence(second, [patch('app/helpers.py', helpers, withoutIpdb)]), ['app/helpers.py:2']);
});

test('evidence elsewhere in a changed file still stands, and line numbers follow earlier patches', () => {
  const other = violation([frame('app/helpers.py', 6, 'audit')]);
  assert.deepEqual(staleEvidence(other, [patch('app/helpers.py', helpers, withoutIpdb)]), []);
  // Two fixes to one file: the second changed the line the first one moved up.
  const moved = withoutIpdb.replace('    return json.dumps(event)', '    return json.dumps(event, default=str)');
  assert.deepEqual(staleEvidence(other, [patch('app/helpers.py', helpers, withoutIpdb), patch('app/helpers.py', withoutIpdb, moved)]), ['app/helpers.py:6']);
  assert.deepEqual(staleEvidence(other, []), []);
});
