/**
 * The team's pattern store on a real Neo4j (test/setup/neo4j.ts starts one on 127.0.0.1): the store
 * contract every adapter passes, then what only a server can get wrong: its constraints, two
 * writers on one pattern, the server stopped mid-run (events wait in the outbox and are sent once
 * when it is back), killed mid-run (every acknowledged write survives), a port nothing answers on,
 * and values that look like Cypher.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import neo4j from 'neo4j-driver';
import { applyEdits } from '../../bench/corpus/faults';
import { plannedFaults } from '../../bench/corpus/runner';
import { Neo4jPatternStore } from '../../server/src/engine/learn/neo4j';
import { closePatternStores, patternStoreFor } from '../../server/src/engine/learn/stores';
import { repairOnce } from '../../server/src/engine/repair';
import { runCli } from '../setup/cli';
import { copyFieldApp } from '../setup/field';
import { startNeo4j, type TestNeo4j } from '../setup/neo4j';
import { freePort } from '../setup/net';
import { attempt, patternStoreContract } from '../unit/pattern-store-contract';

const dirs: string[] = [];
function outbox(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'outbox-'));
  dirs.push(d);
  return path.join(d, 'outbox.jsonl');
}

let server: TestNeo4j;
const stores: Neo4jPatternStore[] = [];
async function open(file = outbox()): Promise<Neo4jPatternStore> {
  const store = await Neo4jPatternStore.open({ uri: server.uri, outbox: file });
  stores.push(store);
  return store;
}
async function count(query: string): Promise<number> {
  const driver = neo4j.driver(server.uri, undefined, { disableLosslessIntegers: true, logging: { level: 'error', logger: () => undefined } });
  try {
    const { records } = await driver.executeQuery(query);
    return Number(records[0]!.get(0));
  } finally {
    await driver.close();
  }
}
const q = { exceptionClass: 'NameError', endpoint: 'GET /items/{}', messageShape: "name '{}' is not defined", failureType: 'RUNTIME', status: 500 };

describe('the Neo4j pattern store', { timeout: 10 * 60_000 }, () => {
  before(async () => {
    server = await startNeo4j();
  });
  after(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    await closePatternStores();
    await server?.dispose();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  patternStoreContract('neo4j', async () => {
    await server.clear();
    return open();
  });

  test('constraints and indexes are made on first use; values that look like Cypher are kept as written', async () => {
    await server.clear();
    const store = await open();
    const cls = "Err'or\"}) DETACH DELETE n //";
    const endpoint = 'GET /x/{}`) MATCH (m) DETACH DELETE m; //';
    const p = await store.record(attempt({ cls, endpoint, shape: '{$where: 1}' }));
    assert.equal(await count("SHOW CONSTRAINTS YIELD name WHERE name STARTS WITH 'smoke_repair_' RETURN count(*)"), 4);
    assert.equal(await count("SHOW INDEXES YIELD name WHERE name = 'smoke_repair_event_at' RETURN count(*)"), 1);
    const [found] = await store.lookup({ exceptionClass: cls, endpoint, messageShape: '{$where: 1}', failureType: 'RUNTIME', status: 500 });
    assert.equal(found?.key, p.key);
    assert.deepEqual([found?.signature.exceptionClass, found?.endpoints], [cls, [endpoint]]);
    assert.equal(await count('MATCH (e:PatternEvent) RETURN count(e)'), 1);
  });

  test('two writers on one pattern at once lose nothing', async () => {
    await server.clear();
    const [a, b] = [await open(), await open()];
    await Promise.all([a, b].map(async (s, w) => {
      for (let i = 0; i < 60; i++) await s.record(attempt({ outcome: i % 6 === 0 ? 'failure' : 'success', at: w * 1000 + i }));
    }));
    const [p] = await a.lookup(q);
    assert.deepEqual([p?.attempts, p?.failures], [120, 20]);
    assert.equal(await count('MATCH (e:PatternEvent) RETURN count(e)'), 120);
  });

  test('stopped mid-run: events wait in the outbox and are sent once when it is back; sending again sends nothing twice', async () => {
    await server.clear();
    const box = outbox();
    const store = await open(box);
    for (let i = 0; i < 5; i++) await store.record(attempt({ at: i }));
    await server.stop();
    for (let i = 5; i < 12; i++) await store.record(attempt({ at: i }));
    await store.recordAntiPattern({ wrong: 'except:', language: 'python', severity: 'low', occurrences: 1, confidence: 0.5 });
    const waiting = await store.status();
    assert.deepEqual([waiting.connected, waiting.waiting], [false, 8]);
    assert.match(waiting.lastError ?? '', /cannot be reached/);
    // A lookup while it is away is an error the stores of a workspace report, never a hang.
    await assert.rejects(store.lookup(q), /Neo4j at bolt:\/\/127\.0\.0\.1:\d+ cannot be reached/);

    await server.start();
    const [p] = await store.lookup(q);
    assert.equal(p?.attempts, 12, 'the outbox was sent before the lookup');
    assert.equal(await count('MATCH (e:PatternEvent) RETURN count(e)'), 13);
    assert.equal(readdirSync(path.dirname(box)).length, 0, 'the outbox is gone once sent');
    // The same events again (a send cut short after the server took them): nothing twice.
    const again = await store.importEvents(await store.exportEvents());
    assert.deepEqual(again, { added: 0, skipped: 13 });
    assert.equal((await store.lookup(q))[0]?.attempts, 12);
    assert.equal((await store.status()).waiting, 0);
  });

  test('killed mid-run: every acknowledged write survives the restart', async () => {
    await server.clear();
    const store = await open();
    let acknowledged = 0;
    const writing = (async () => {
      for (let i = 0; i < 400; i++) {
        await store.record(attempt({ endpoint: `GET /k${i % 7}/{}`, at: i }));
        if ((await store.status().then((s) => s.waiting)) === 0) acknowledged = i + 1;
        else break;
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    await server.kill();
    await writing;
    await server.start();
    const sent = await count('MATCH (e:PatternEvent) RETURN count(e)');
    assert.ok(sent >= acknowledged && acknowledged > 0, `${sent} events in Neo4j, ${acknowledged} acknowledged`);
    await store.flush();
    const total = (await store.list()).patterns.reduce((n, p) => n + p.attempts, 0);
    assert.equal(total, await count('MATCH (e:PatternEvent) RETURN count(e)'), 'every event in the graph is counted once in its pattern');
  });

  test('a port nothing answers on: the outbox keeps the events, and the error names the URI and what to do', async () => {
    const box = outbox();
    const store = await Neo4jPatternStore.open({ uri: `bolt://127.0.0.1:${await freePort()}`, outbox: box, timeoutMs: 1000 });
    stores.push(store);
    const p = await store.record(attempt());
    assert.equal(p.attempts, 1);
    assert.ok(existsSync(box));
    assert.equal((await store.status()).waiting, 1);
    await assert.rejects(store.list(), /cannot be reached .*wait in .*outbox\.jsonl/);
    await assert.rejects(Neo4jPatternStore.open({ uri: 'http://127.0.0.1:7474', outbox: box }), /learning\.neo4j\.uri http:\/\/127\.0\.0\.1:7474: .*neo4j:\/\/host:7687/);
  });

  test("a team shares through it: a fix learned in one workspace is the first plan in a teammate's", async () => {
    await server.clear();
    const faults = plannedFaults({ apps: ['fastapi-tasks'] }).filter((f) => f.kind === 'remove-import' && f.runtime === 'process' && /remove `crud`/.test(f.summary));
    const first = faults.find((f) => f.file === 'app/routers/tasks.py')!;
    const second = faults.find((f) => f.file === 'app/routers/users.py')!;
    const learning = { userStore: false, neo4j: { uri: server.uri } };
    const mine = copyFieldApp('fastapi-tasks', { port: await freePort(), config: { learning } });
    const theirs = copyFieldApp('fastapi-tasks', { port: await freePort(), config: { learning } });
    try {
      applyEdits(mine.dir, first.edits);
      const one = await repairOnce({ workspace: mine.dir, apply: 'safe' });
      assert.equal(one.records.find((r) => r.applied)?.planner, 'rules');
      assert.ok((await count('MATCH (e:PatternEvent) RETURN count(e)')) >= 1, 'the attempt reached the team store');

      applyEdits(theirs.dir, second.edits);
      const two = await repairOnce({ workspace: theirs.dir, apply: 'safe' });
      const reused = two.records.find((r) => r.applied);
      assert.equal(reused?.planner, 'learned', JSON.stringify(two.records.map((r) => [r.planner, r.reason])));
      assert.match(reused!.plan!.evidence.join('\n'), /learned from tool, team/);

      // The command line lists it from both stores, and says where each copy is kept.
      const listed = await runCli(['patterns', '-w', theirs.dir, '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const out = JSON.parse(listed.stdout);
      assert.deepEqual(out.stores, ['workspace', 'team']);
      const p = out.patterns.find((x: { fixType: string }) => x.fixType === 'add_import');
      assert.deepEqual([p.attempts, p.successes, p.layers], [2, 2, ['workspace', 'team']]);
      assert.deepEqual(out.problems, []);
      const team = await patternStoreFor(theirs.dir, learning);
      assert.equal((await team.list()).patterns.length, out.patterns.length);
    } finally {
      mine.remove();
      theirs.remove();
    }
  });
});
