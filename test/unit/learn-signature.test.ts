/**
 * Failure signatures: the message shape keeps what a message says and drops what belongs to its
 * site (quoted names, numbers); endpoints lose their parameter names; fuzzed, neither throws and
 * a shape is its own shape.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { endpointPattern, lookupKeys, messageShape, messageValues } from '../../server/src/engine/learn/signature';
import { wilsonLowerBound } from '../../server/src/engine/learn/wilson';

describe('failure signatures', () => {
  test('message shapes across languages', () => {
    assert.equal(messageShape("name 'uuid' is not defined"), "name '{}' is not defined");
    assert.equal(messageShape('uuid is not defined'), 'uuid is not defined', 'a bare name is part of what JavaScript says');
    assert.equal(messageShape("No module named 'yaml'"), "No module named '{}'");
    assert.equal(messageShape("Cannot find module 'csv-stringify/sync'\nRequire stack:\n- /app/src/routes/lists.js"), "Cannot find module '{}'");
    assert.equal(messageShape('expected total = 37.5, got 12.5'), 'expected total = {}, got {}');
    assert.equal(messageShape('"price"'), '"{}"');
    assert.equal(messageShape(''), undefined);
    assert.equal(messageShape(undefined), undefined);
    assert.deepEqual(messageValues("name 'uuid' is not defined at line 3"), ['uuid', '3']);
  });

  test('endpoint patterns', () => {
    assert.equal(endpointPattern('post', '/carts/{cart_id}/items'), 'POST /carts/{}/items');
    assert.equal(endpointPattern('GET', '/users/:id/posts?x=1'), 'GET /users/{}/posts');
    assert.equal(endpointPattern('GET', '/orders/42'), 'GET /orders/{}');
    assert.equal(endpointPattern('GET', '/'), 'GET /');
    assert.deepEqual(lookupKeys({ endpoint: 'GET /', failureType: 'TEST_ASSERT', status: 200 }).byEndpoint.split('\u0000'), ['TEST_ASSERT/200', 'GET /']);
  });

  test('fuzzed: no throw, bounded, a shape is its own shape', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const shape = messageShape(s);
        if (shape === undefined) return;
        assert.ok(shape.length <= 400);
        assert.equal(messageShape(shape), shape);
      }),
      { numRuns: 3000 },
    );
    fc.assert(fc.property(fc.string(), fc.string({ maxLength: 200 }), (m, p) => void endpointPattern(m || 'GET', p)));
  });

  test('the Wilson lower bound', () => {
    assert.equal(wilsonLowerBound(0, 0), 0);
    assert.ok(Math.abs(wilsonLowerBound(9, 10) - 0.5958) < 0.001);
    assert.ok(wilsonLowerBound(1, 1) < wilsonLowerBound(9, 10));
    assert.ok(wilsonLowerBound(9, 9) > 0.7 && wilsonLowerBound(8, 8) < 0.7, 'nine successes in a row pass the default threshold, eight do not');
  });
});
