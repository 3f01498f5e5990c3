/**
 * A real Neo4j for the tests: the embedded Neo4j 5 (scripts/setup-neo4j.sh fetches its jars and
 * installs a JDK when missing) started as a JVM with its Bolt connector on 127.0.0.1, a free port,
 * no authentication, its data in a folder of its own, so a restart finds it. Ready once the driver's
 * `RETURN 1` is answered. Stopped (SIGTERM) or killed (SIGKILL) on demand, always at the end.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import neo4j from 'neo4j-driver';
import { REPO_ROOT } from './docker';
import { freePort } from './net';

export interface TestNeo4j {
  uri: string;
  port: number;
  dir: string;
  /** The server's output so far (for a failure's message). */
  output(): string;
  /** SIGTERM and wait for the exit (data kept). */
  stop(): Promise<void>;
  /** SIGKILL, as a crash (data kept; the next start recovers it). */
  kill(): Promise<void>;
  /** Start again on the same port and folder, and wait until it answers. */
  start(): Promise<void>;
  /** Empty the database (Community has one user database: no drop). */
  clear(): Promise<void>;
  /** Stop and remove the data folder. */
  dispose(): Promise<void>;
}

let home: string | undefined;
/** The folder with lib/ and classes/, set up once per process. */
function neo4jHome(): string {
  home ??= execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'setup-neo4j.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 }).trim().split('\n').pop()!;
  return home;
}

async function waitUntilReady(uri: string, child: ChildProcess, output: () => string, limitMs = 90_000): Promise<void> {
  const driver = neo4j.driver(uri, undefined, { connectionTimeout: 1000, maxTransactionRetryTime: 0, logging: { level: 'error', logger: () => undefined } });
  const end = Date.now() + limitMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the test Neo4j exited with ${child.exitCode} before it answered:\n${output()}`);
      const session = driver.session();
      try {
        await session.run('RETURN 1');
        return;
      } catch {
        if (Date.now() > end) throw new Error(`the test Neo4j did not answer on ${uri} within ${limitMs / 1000} s:\n${output()}`);
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await session.close();
      }
    }
  } finally {
    await driver.close();
  }
}

export async function startNeo4j(opts: { port?: number } = {}): Promise<TestNeo4j> {
  const lib = neo4jHome();
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(path.join(tmpdir(), 'neo4j-test-'));
  const uri = `bolt://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let log = '';
  const output = () => log.slice(-4000);
  const exited = () => new Promise<void>((r) => (child && child.exitCode === null && child.signalCode === null ? child.once('exit', () => r()) : r()));

  const start = async () => {
    child = spawn(
      'java',
      [
        '-Xms128m', '-Xmx512m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC',
        '--add-opens=java.base/java.nio=ALL-UNNAMED', '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED', '--add-opens=java.base/java.io=ALL-UNNAMED',
        '-cp', `${path.join(lib, 'classes')}${path.delimiter}${path.join(lib, 'lib', '*')}`,
        'TestNeo4j', path.join(dir, 'data'), String(port),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitUntilReady(uri, child, output);
  };
  const signal = async (sig: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const done = exited();
    child.kill(sig);
    await done;
  };

  await start();
  const server: TestNeo4j = {
    uri,
    port,
    dir,
    output,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    start,
    async clear() {
      const driver = neo4j.driver(uri, undefined, { logging: { level: 'error', logger: () => undefined } });
      const session = driver.session();
      try {
        // In batches, in an auto-commit transaction: a large graph does not fit one transaction's memory.
        await session.run('MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS');
      } finally {
        await session.close();
        await driver.close();
      }
    },
    async dispose() {
      await signal('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // A test process that ends without dispose() still stops its server.
  process.once('exit', () => child?.kill('SIGKILL'));
  return server;
}
