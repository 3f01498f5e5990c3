/**
 * Trace fidelity: real interpreters raise real exceptions (test/fixtures/traces/fidelity/), print
 * them as they print them, and write their own structured view of each exception (class,
 * message, frames, chain, group members) as JSON. The parsed trace must equal that structure,
 * alone and inside the logs it really shows up in: colour codes, `docker logs -t` timestamps,
 * compose prefixes, access-log lines between the frames, two services' traces interleaved.
 *
 * Every Python 3 under ~/.pyenv/versions (3.6 to 3.13) and /usr/bin/python3 runs; the running
 * Node runs the Node shapes. The exact rate per setting is reported; each must be at least 99%.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { classifyLog } from '../../server/src/engine/classify';
import type { Trace } from '../../server/src/engine/model';
import { extractTraces, TraceScanner } from '../../server/src/engine/traces';

const PROGRAMS = join(import.meta.dirname, '../fixtures/traces/fidelity');
const PYTHON_VERSIONS = ['3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13'];
const NODE_SHAPES = [
  'type_error',
  'reference_error',
  'cause_chain',
  'aggregate',
  'aggregate_cause',
  'async_fn',
  'esm',
  'esm_missing_package',
  'cannot_find_module',
  'props',
  'constructor_frame',
  'enoent',
];
/** Processes run at once: the machines that run this have few cores. */
const PARALLEL = 2;
const GOAL = 0.99;

// ---------------------------------------------------------------------------------------------
// The runtime's view, and the same laid out as a Trace lays it out.

type TruthFrame = [string, number, string] | [string, number, string, number];
interface TruthNode {
  cls: string;
  message: string;
  frames: TruthFrame[];
  previous?: { relation: 'cause' | 'context'; node: TruthNode };
  members?: TruthNode[];
}
interface Shape {
  cls: string;
  message: string;
  frames: TruthFrame[];
  causes: Array<{ cls: string; message: string; relation: string; frames: TruthFrame[] }>;
}

/**
 * The documented layout of `Trace.causes`: every exception but the top one, in the order Python
 * prints them: a chain oldest first (each with how it leads to the next), a group's members right
 * after the group, each after the chain that led to it (a member itself: `context`).
 */
function expected(top: TruthNode): Shape {
  const causes: Shape['causes'] = [];
  const visit = (x: TruthNode, relation: 'cause' | 'context') => {
    const chain: TruthNode[] = [];
    for (let n: TruthNode | undefined = x; n; n = n.previous?.node) chain.unshift(n);
    chain.forEach((el, i) => {
      if (el !== top) {
        const rel = i === chain.length - 1 ? relation : chain[i + 1]!.previous!.relation;
        causes.push({ cls: el.cls, message: el.message, relation: rel, frames: el.frames });
      }
      for (const m of el.members ?? []) visit(m, 'context');
    });
  };
  visit(top, 'context');
  return { cls: top.cls, message: top.message, frames: top.frames, causes };
}

function frameOf(f: Trace['frames'][number], language: Trace['language']): TruthFrame {
  return language === 'node' ? [f.rawFile, f.line, f.function, f.column ?? -1] : [f.rawFile, f.line, f.function];
}

function shapeOf(t: Trace): Shape {
  return {
    cls: t.exceptionClass,
    message: t.message,
    frames: t.frames.map((f) => frameOf(f, t.language)),
    causes: t.causes.map((c) => ({ cls: c.exceptionClass, message: c.message, relation: c.relation, frames: c.frames.map((f) => frameOf(f, t.language)) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Running the programs.

interface Sample {
  id: string;
  language: 'python' | 'node';
  /** What the runtime printed. */
  printed: string;
  truth: Shape;
  /** Printed with the runtime's own colours (Python 3.13 on a terminal, Node's inspect colours). */
  nativeColour: boolean;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: 30_000, maxBuffer: 8 * 1024 * 1024 }, (_err, stdout, stderr) =>
      resolve({ stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

async function pool(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...extra };
  for (const k of ['FORCE_COLOR', 'PYTHON_COLORS', 'NO_COLOR', 'PYTHONPATH', 'NODE_OPTIONS', 'PYTHONSTARTUP']) if (!(k in extra)) delete env[k];
  return env;
}

interface Interpreter {
  label: string;
  path: string;
  minor: number;
}

async function interpreters(): Promise<{ found: Interpreter[]; missing: string[] }> {
  const root = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions');
  const paths = existsSync(root) ? readdirSync(root).map((v) => join(root, v, 'bin', 'python3')) : [];
  paths.push('/usr/bin/python3');
  const found: Interpreter[] = [];
  for (const p of paths.filter((x) => existsSync(x))) {
    const { stdout, stderr } = await run(p, ['--version'], tmpdir(), childEnv({}));
    const m = /Python 3\.(\d+)\.(\d+)/.exec(stdout + stderr);
    if (!m) continue;
    found.push({ label: `${p.startsWith('/usr/bin') ? 'system ' : ''}3.${m[1]}.${m[2]}`, path: p, minor: Number(m[1]) });
  }
  const missing = PYTHON_VERSIONS.filter((v) => !found.some((i) => `3.${i.minor}` === v));
  return { found, missing };
}

async function pythonSamples(dir: string, py: Interpreter, out: Sample[]): Promise<void> {
  const tag = py.label.replace(/\s/g, '-');
  const printDir = join(dir, `out-${tag}`);
  mkdirSync(printDir, { recursive: true });
  await run(py.path, ['py_driver.py', 'print_exc', printDir], dir, childEnv({ NO_COLOR: '1' }));
  const shapes = readdirSync(printDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  for (const s of shapes) {
    out.push({
      id: `python ${py.label} ${s} print_exc`,
      language: 'python',
      printed: readFileSync(join(printDir, `${s}.txt`), 'utf8'),
      truth: expected(JSON.parse(readFileSync(join(printDir, `${s}.json`), 'utf8')) as TruthNode),
      nativeColour: false,
    });
  }
  const modes: Array<{ name: string; env: Record<string, string>; colour: boolean }> = [{ name: 'uncaught', env: { NO_COLOR: '1' }, colour: false }];
  // 3.13 colours tracebacks on a terminal; PYTHON_COLORS asks for that without one.
  if (py.minor >= 13) modes.push({ name: 'uncaught in colour', env: { PYTHON_COLORS: '1' }, colour: true });
  await pool(
    modes.flatMap((mode) =>
      shapes.map((s) => async () => {
        const json = join(printDir, `${s}.${mode.colour ? 'colour' : 'uncaught'}.json`);
        const { stderr } = await run(py.path, ['py_driver.py', 'uncaught', s, json], dir, childEnv(mode.env));
        if (!existsSync(json)) return;
        out.push({
          id: `python ${py.label} ${s} ${mode.name}`,
          language: 'python',
          printed: stderr,
          truth: expected(JSON.parse(readFileSync(json, 'utf8')) as TruthNode),
          nativeColour: mode.colour,
        });
      }),
    ),
    PARALLEL,
  );
}

async function nodeSamples(dir: string, out: Sample[]): Promise<void> {
  const env = childEnv({});
  await pool(
    NODE_SHAPES.map((s) => async () => {
      // The structure from a run with the CallSite hook; the printed text from untouched runs.
      const json = join(dir, `node-${s}.json`);
      await run(process.execPath, ['-r', './node_hook.cjs', 'node_driver.cjs', 'console', s, json], dir, env);
      if (!existsSync(json)) return;
      const truth = expected(JSON.parse(readFileSync(json, 'utf8')) as TruthNode);
      for (const mode of ['console', 'colour', 'uncaught']) {
        const { stderr } = await run(process.execPath, ['node_driver.cjs', mode, s], dir, env);
        out.push({ id: `node ${process.version} ${s} ${mode}`, language: 'node', printed: stderr, truth, nativeColour: mode === 'colour' });
      }
    }),
    PARALLEL,
  );
}

// ---------------------------------------------------------------------------------------------
// Logs built around the printed text.

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedOf(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}

const linesOf = (text: string) => text.replace(/\n$/, '').split('\n');
const ANSI = /\x1b\[[0-9;]*m/g;

function dockerTimestamps(lines: string[], start = Date.UTC(2024, 4, 1, 12)): string[] {
  return lines.map((l, i) => `${new Date(start + i * 7).toISOString().slice(0, -1)}${String(123456 + i).padStart(6, '0')}Z ${l}`);
}

const COLOURS = ['\x1b[31m', '\x1b[1;31m', '\x1b[33m', '\x1b[2m', '\x1b[91m', ''];
function colourLines(lines: string[], r: () => number): string[] {
  return lines.map((l) => {
    const c = COLOURS[Math.floor(r() * COLOURS.length)]!;
    return c === '' ? l : `${c}${l}\x1b[0m`;
  });
}

const ACCESS = [
  'INFO:     127.0.0.1:53122 - "GET /items/42 HTTP/1.1" 200 OK',
  'INFO:     172.18.0.1:40968 - "POST /carts/7/items HTTP/1.1" 500 Internal Server Error',
  'GET /users/7 200 3.112 ms - 341',
  'POST /orders 500 12.504 ms - 21',
  '::ffff:127.0.0.1 - - [01/May/2024:12:00:01 +0000] "GET /health HTTP/1.1" 200 2 "-" "curl/8.5.0"',
  '{"level":30,"time":1714564800123,"pid":7,"msg":"request completed","res":{"statusCode":200},"responseTime":4}',
  '2024-05-01 12:00:01,004 INFO sqlalchemy.engine.Engine: SELECT items.id FROM items WHERE items.id = ?',
  '[2024-05-01 12:00:01 +0000] [12] [INFO] Booting worker with pid: 12',
];
const ACCESS_COLOURED = [
  '\x1b[32mINFO\x1b[0m:     127.0.0.1:53122 - "\x1b[1mGET /items/42 HTTP/1.1\x1b[0m" \x1b[32m200 OK\x1b[0m',
  '\x1b[32mINFO\x1b[0m:     172.18.0.1:40968 - "\x1b[1mPOST /carts/7/items HTTP/1.1\x1b[0m" \x1b[91m500 Internal Server Error\x1b[0m',
  '\x1b[0mGET /users/7 \x1b[32m200\x1b[0m 3.112 ms - 341\x1b[0m',
  '\x1b[0mPOST /orders \x1b[31m500\x1b[0m 12.504 ms - 21\x1b[0m',
];
const BEFORE = ['ERROR:    Exception in ASGI application', 'INFO:     Application startup complete.', 'listening on :3000'];

/**
 * Where a log line may cut into a Python trace: anywhere but inside a multi-line message, whose end
 * no reader can know (a Node trace takes one anywhere: its frames come after its message).
 */
function cutPoints(sample: Sample, lines: string[]): number[] {
  const plain = lines.map((l) => l.replace(ANSI, ''));
  const closed = new Set<number>();
  if (sample.language === 'python') {
    const content = plain.map((l) => l.replace(/^(?: {2})+\| ?/, ''));
    const all = [sample.truth, ...sample.truth.causes];
    for (const e of all) {
      const m = e.message.split('\n');
      if (m.length < 2) continue;
      const head = m[0] === '' ? e.cls : `${e.cls}: ${m[0]}`;
      for (let i = 0; i < content.length; i++) {
        if (content[i] !== head) continue;
        if (m.slice(1).every((x, k) => content[i + 1 + k] === x)) for (let k = 1; k < m.length; k++) closed.add(i + k);
      }
    }
  }
  const points: number[] = [];
  for (let i = 1; i < lines.length; i++) if (!closed.has(i)) points.push(i);
  return points;
}

function withAccessLines(sample: Sample, coloured: boolean): string[] {
  const r = rng(seedOf(sample.id));
  const lines = linesOf(sample.printed);
  const pool = coloured ? [...ACCESS_COLOURED, ...ACCESS.slice(4)] : ACCESS;
  const pick = () => pool[Math.floor(r() * pool.length)]!;
  const points = cutPoints(sample, lines);
  const chosen = new Set<number>();
  for (let k = 0; k < Math.min(4, points.length); k++) chosen.add(points[Math.floor(r() * points.length)]!);
  const out = [BEFORE[Math.floor(r() * BEFORE.length)]!, pick()];
  lines.forEach((l, i) => {
    if (chosen.has(i)) out.push(pick());
    out.push(l);
  });
  out.push(pick(), pick());
  return out;
}

/** Two services' lines merged at random, each with its compose prefix. */
function interleave(a: string[], b: string[], r: () => number): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && r() < 0.5)) out.push(`web-1  | ${a[i++]!}`);
    else out.push(`api-1  | ${b[j++]!}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Settings: each turns samples into logs and says whether every trace came out exact.

interface Outcome {
  ok: boolean;
  detail?: string;
}

function compare(got: Trace | undefined, want: Shape): Outcome {
  if (!got) return { ok: false, detail: 'no trace' };
  const shape = shapeOf(got);
  try {
    assert.deepEqual(shape, want);
    return { ok: true };
  } catch (e) {
    return { ok: false, detail: (e as Error).message.slice(0, 800) };
  }
}

function single(text: string, want: Shape): Outcome {
  const traces = extractTraces(text);
  if (traces.length !== 1) return { ok: false, detail: `${traces.length} traces: ${traces.map((t) => t.exceptionClass).join(', ')}` };
  return compare(traces[0], want);
}

interface Setting {
  name: string;
  /** Samples it applies to. */
  takes: (s: Sample) => boolean;
  check: (s: Sample, all: Sample[], index: number) => Outcome[];
}

const plainSample = (s: Sample) => !s.nativeColour;

const SETTINGS: Setting[] = [
  { name: 'clean', takes: plainSample, check: (s) => [single(s.printed, s.truth)] },
  { name: 'native colour (Python 3.13 terminal, Node inspect colours)', takes: (s) => s.nativeColour, check: (s) => [single(s.printed, s.truth)] },
  { name: 'coloured lines', takes: plainSample, check: (s) => [single(colourLines(linesOf(s.printed), rng(seedOf(s.id))).join('\n'), s.truth)] },
  { name: 'docker logs -t', takes: () => true, check: (s) => [single(dockerTimestamps(linesOf(s.printed)).join('\n'), s.truth)] },
  { name: 'compose prefix', takes: plainSample, check: (s) => [single(linesOf(s.printed).map((l) => `web-1  | ${l}`).join('\n'), s.truth)] },
  {
    name: 'compose prefix + timestamps (docker compose logs -t)',
    takes: () => true,
    check: (s) => [single(dockerTimestamps(linesOf(s.printed)).map((l) => `api_1 | ${l}`).join('\n'), s.truth)],
  },
  { name: 'access and log lines between frames', takes: plainSample, check: (s) => [single(withAccessLines(s, false).join('\n'), s.truth)] },
  { name: 'coloured access and log lines between frames', takes: plainSample, check: (s) => [single(withAccessLines(s, true).join('\n'), s.truth)] },
  {
    name: 'two traces interleaved (two compose services)',
    takes: plainSample,
    check: (s, all, i) => {
      const others = all.filter(plainSample);
      const other = others[(others.indexOf(s) + 7) % others.length]!;
      const text = interleave(linesOf(s.printed), linesOf(other.printed), rng(seedOf(s.id) ^ i)).join('\n');
      const found = new Map<string, Trace[]>();
      const scanner = new TraceScanner((f) => found.set(f.source, [...(found.get(f.source) ?? []), f.trace]));
      scanner.write(`${text}\n`);
      scanner.end();
      const one = (source: string, want: Shape): Outcome => {
        const ts = found.get(source) ?? [];
        return ts.length === 1 ? compare(ts[0], want) : { ok: false, detail: `${source}: ${ts.length} traces` };
      };
      return [one('web-1', s.truth), one('api-1', other.truth)];
    },
  },
  {
    name: 'classify on pasted docker logs -t',
    takes: plainSample,
    check: (s) => [compare(classifyLog(dockerTimestamps(linesOf(s.printed)).join('\n')).trace, s.truth)],
  },
];

// ---------------------------------------------------------------------------------------------

describe('trace fidelity against the interpreters', () => {
  let dir = '';
  const samples: Sample[] = [];
  let found: Interpreter[] = [];
  let missing: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trace-fidelity-'));
    cpSync(PROGRAMS, dir, { recursive: true });
    ({ found, missing } = await interpreters());
    await nodeSamples(dir, samples);
    for (const py of found) await pythonSamples(dir, py, samples);
    samples.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every runtime printed and described its exceptions', (t: TestContext) => {
    t.diagnostic(`Python: ${found.map((p) => p.label).join(', ') || 'none'}; not present: ${missing.join(', ') || 'none'}`);
    t.diagnostic(`Node ${process.version}; ${samples.length} samples (${samples.filter((s) => s.language === 'python').length} Python, ${samples.filter((s) => s.language === 'node').length} Node)`);
    assert.ok(found.length > 0, 'no Python 3 found (/usr/bin/python3 always exists where this runs)');
    for (const py of found) {
      const n = samples.filter((s) => s.id.startsWith(`python ${py.label} `) && s.id.endsWith(' print_exc')).length;
      // 13 shapes everywhere, 5 more from 3.11 on.
      assert.equal(n, py.minor >= 11 ? 18 : 13, `${py.label}: shapes printed`);
    }
    assert.equal(samples.filter((s) => s.language === 'node').length, NODE_SHAPES.length * 3);
  });

  for (const setting of SETTINGS) {
    it(`exact in setting: ${setting.name}`, (t: TestContext) => {
      let total = 0;
      let exact = 0;
      const failures: string[] = [];
      samples.forEach((s, i) => {
        if (!setting.takes(s)) return;
        for (const o of setting.check(s, samples, i)) {
          total++;
          if (o.ok) exact++;
          else if (failures.length < 3) failures.push(`${s.id}: ${o.detail}`);
        }
      });
      const rate = total === 0 ? 1 : exact / total;
      t.diagnostic(`${setting.name}: ${exact}/${total} exact (${(rate * 100).toFixed(1)}%)`);
      for (const f of failures) t.diagnostic(`  ${f.replace(/\n/g, '\n  ')}`);
      assert.ok(total > 0, 'no sample for this setting');
      assert.ok(rate >= GOAL, `${exact}/${total} exact, below ${GOAL * 100}%:\n${failures.join('\n')}`);
    });
  }
});
