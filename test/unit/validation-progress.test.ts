/**
 * What counts as progress when a fix leaves its scenario failing (validate/scenarios.ts): the
 * violation's own failure must be gone (a route that answers now, a server error whose message the
 * app no longer prints, a start that fails further on), never the same failure in other words. The
 * loop on field apps with faults behind faults (bench/loop/field.ts) is where it shows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STARTUP_SCENARIO_ID, type Violation } from '../../server/src/engine/model';
import { progressOf, startProgressOf } from '../../server/src/engine/validate/scenarios';

function violation(actualStatus: number, message?: string, scenarioId = 'list'): Violation {
  return {
    id: `${scenarioId}:${actualStatus}`,
    scenarioId,
    scenario: scenarioId,
    method: 'GET',
    path: '/v1/health',
    expectedStatus: 200,
    actualStatus,
    message: `GET /v1/health → ${actualStatus}`,
    ...(message ? { trace: { language: 'javascript', exceptionClass: 'ReferenceError', message, frames: [], causes: [] } } : {}),
  } as unknown as Violation;
}

const startup = (message: string) => ({ ...violation(0, message, STARTUP_SCENARIO_ID), failureType: 'INFRA' }) as unknown as Violation;

describe('progress of a fix whose scenario still fails', () => {
  test('a server error gone from the answer and from the output is progress', () => {
    const v = violation(500, 'ApiError is not defined');
    assert.match(progressOf(v, { status: 404, failure: 'expected status 200, got 404' }, 'GET /v1/health 404')!, /^its own error is gone \(500 → 404, no more "ApiError is not defined"\); the scenario fails for another reason: expected status 200, got 404$/);
    assert.equal(progressOf(v, { status: 404 }, 'ReferenceError: ApiError is not defined\n    at ...'), undefined, 'the app still prints it');
  });

  test('another server error on the same request is not counted, nor no answer at all', () => {
    const v = violation(500, "name 'select' is not defined");
    assert.equal(progressOf(v, { status: 500, failure: 'expected status 200, got 500' }, "TypeError: 'module' object is not callable"), undefined);
    assert.equal(progressOf(v, { status: 0, failure: 'ECONNRESET' }, ''), undefined);
  });

  test('a route that answers now is progress; another 404 is not', () => {
    assert.match(progressOf(violation(404), { status: 500, failure: 'expected status 200, got 500' }, '')!, /^the route answers now \(404 → 500\)/);
    assert.match(progressOf(violation(405), { status: 422 }, '')!, /^the route answers now \(405 → 422\)/);
    assert.equal(progressOf(violation(404), { status: 404 }, ''), undefined);
    assert.equal(progressOf(violation(404), { status: 405 }, ''), undefined);
  });

  test('a wrong status or body is not made "progress" by changing status', () => {
    assert.equal(progressOf(violation(200), { status: 201 }, ''), undefined);
  });

  test('an app that still cannot start, no longer for its own reason, is progress; the same reason is not', () => {
    const v = startup("No module named 'ipdb'");
    assert.match(startProgressOf(v, "exited with code 1\nTraceback...\nNameError: name 'sqlite3' is not defined")!, /^the app still does not start, but no longer because of "No module named 'ipdb'": now NameError: name 'sqlite3' is not defined$/);
    assert.equal(startProgressOf(v, "ModuleNotFoundError: No module named 'ipdb'"), undefined);
    assert.equal(startProgressOf(violation(500, 'boom happened'), 'anything'), undefined, 'only for an app that could not start');
  });
});
