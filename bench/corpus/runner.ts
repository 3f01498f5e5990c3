/**
 * Runs planted faults through the product, one fresh copy of the app each: smoke → repairOnce
 * (plan, validate, apply only safe validated fixes, smoke again) → measure → roll back and compare.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { BUILTIN_CATALOG } from '../../server/src/engine/plan/antipatterns/catalog';
import { repairOnce, rollbackFix, type RepairRecord } from '../../server/src/engine/repair';
import { runSmoke } from '../../server/src/engine/run';
import type { SmokeReport } from '../../server/src/engine/model';
import { copyFieldApp, fieldApps, fieldPython, FIELD_ROOT, type FieldManifest, type FieldWorkspace } from '../../test/setup/field';
import { freePort } from '../../test/setup/net';
import { applyEdits, KINDS, loadApp, type Fault, type FaultKind } from './faults';
import { faultsFor, missingModules, UNPLANTED_CATALOG } from './operators';

const run = promisify(execFile);

// ---------------------------------------------------------------- results

export interface RecordSummary {
  scenario: string;
  message: string;
  failureType: string;
  strategy: string;
  exceptionClass?: string;
  planner?: string;
  category?: string;
  operations: string[];
  files: string[];
  label?: string;
  dangerScore?: number;
  validation?: string;
  /** The first failed step's summary, when validation failed. */
  validationWhy?: string;
  applied: boolean;
  reason: string;
  noPlan?: string;
  /** The patch (bounded). */
  diff?: string;
}

export type Outcome =
  | 'not-observable'
  | 'error'
  | 'not-detected'
  | 'fixed'
  | 'applied-not-green'
  | 'validated-not-applied'
  | 'validation-failed'
  | 'no-patch'
  | 'no-plan';

export interface FaultResult {
  fault: Fault;
  outcome: Outcome;
  error?: string;
  /** Scenarios failing after planting that passed in the app as written (or `app starts`). */
  detected: boolean;
  failingBefore: string[];
  /** A violation's location is in the planted file. */
  located: boolean;
  locations: Array<{ scenario: string; file?: string; line?: number; kind: string }>;
  records: RecordSummary[];
  planned: boolean;
  validated: boolean;
  applied: boolean;
  passedBefore?: number;
  passedAfter?: number;
  total?: number;
  green: boolean;
  regressions: string[];
  /** Files changed by the repair that no applied plan names. */
  outsidePlan: string[];
  /** Applied, and fewer scenarios pass than before. */
  harmful: boolean;
  /** After rolling back every applied fix: `identical`, or the files that differ; `n/a` when nothing was applied. */
  rollback: 'identical' | 'n/a' | { differs: string[] } | { failed: string };
  fixed: boolean;
  /** After the repair, every file the fault changed is byte for byte as the app was written (the fix undid the fault exactly). */
  reverted: boolean;
  durationMs: number;
}

export interface Baseline {
  app: string;
  passed: number;
  total: number;
  passing: string[];
  failing: string[];
  error?: string;
}

export interface CorpusOptions {
  apps?: string[];
  kinds?: FaultKind[];
  /** Only faults whose id contains one of these. */
  faults?: string[];
  /** One site per kind per app. */
  sample?: boolean;
  /** Run the kinds that need Docker (default true); otherwise they are reported as not observable. */
  docker?: boolean;
  /** Faults run at the same time (process mode); Docker faults run one at a time. */
  jobs?: number;
  /** Per-fault time limit, ms. */
  timeoutMs?: number;
  progress?: (line: string) => void;
}

export interface CorpusRun {
  machine: string;
  startedAt: string;
  durationMs: number;
  options: Omit<CorpusOptions, 'progress'>;
  baselines: Baseline[];
  unplantedCatalog: string[];
  /** Anti-pattern faults planted per catalog entry (0: no place in the apps fits its wrong form). */
  catalogSites: Record<string, number>;
  results: FaultResult[];
}

export function machine(): string {
  return `${cpus()[0]?.model?.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

// ---------------------------------------------------------------- the workspace as files

const SKIP = new Set(['.smoke-repair', '.data', '__pycache__', 'node_modules']);

/** Path → sha256 of every file of the workspace, except what the tool and the app write by design. */
export function snapshot(dir: string, rel = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(path.join(dir, rel))) {
    if (SKIP.has(name)) continue;
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(path.join(dir, r));
    if (st.isDirectory()) for (const [k, v] of snapshot(dir, r)) out.set(k, v);
    else if (st.isFile()) out.set(r, createHash('sha256').update(readFileSync(path.join(dir, r))).digest('hex'));
    else if (st.isSymbolicLink()) out.set(r, 'symlink');
  }
  return out;
}

export function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}

// ---------------------------------------------------------------- one fault

function summarise(r: RepairRecord): RecordSummary {
  const failedStep = r.validation?.steps.find((s) => s.status === 'failed');
  return {
    scenario: r.violation.scenario,
    message: r.violation.message,
    failureType: r.violation.failureType,
    strategy: r.violation.strategy,
    ...(r.violation.exceptionClass ? { exceptionClass: r.violation.exceptionClass } : {}),
    ...(r.planner ? { planner: r.planner } : {}),
    ...(r.plan ? { category: r.plan.category } : {}),
    operations: r.plan?.operations.map((o) => o.type) ?? [],
    files: r.plan?.files ?? [],
    ...(r.patchPolicy ? { label: r.patchPolicy.label, dangerScore: r.patchPolicy.dangerScore } : {}),
    ...(r.validation ? { validation: r.validation.status } : {}),
    ...(failedStep ? { validationWhy: `${failedStep.name}: ${failedStep.summary ?? failedStep.output.split('\n')[0]?.slice(0, 200)}` } : {}),
    applied: r.applied,
    reason: r.reason,
    ...(r.noPlan ? { noPlan: r.noPlan.code } : {}),
    ...(r.diff ? { diff: r.diff.length > 4000 ? `${r.diff.slice(0, 4000)}\n…` : r.diff } : {}),
  };
}

/** Files a record's diff names. */
function diffFiles(diff: string | undefined): string[] {
  return [...(diff ?? '').matchAll(/^\+\+\+ b\/(.+)$/gm)].map((m) => m[1]!);
}

const passingOf = (report: SmokeReport | undefined) => new Set((report?.scenarios ?? []).filter((s) => s.ok).map((s) => s.name));

interface RunContext {
  baselines: Map<string, Baseline>;
  docker: boolean;
  timeoutMs: number;
}

function emptyResult(fault: Fault): FaultResult {
  return {
    fault,
    outcome: 'error',
    detected: false,
    failingBefore: [],
    located: false,
    locations: [],
    records: [],
    planned: false,
    validated: false,
    applied: false,
    green: false,
    regressions: [],
    outsidePlan: [],
    harmful: false,
    rollback: 'n/a',
    fixed: false,
    reverted: false,
    durationMs: 0,
  };
}

/** Build the copy's own image from its (planted) files, and start it; the image's id, to remove it afterwards. */
async function buildAndUp(ws: FieldWorkspace, signal: AbortSignal): Promise<string> {
  const compose = readFileSync(path.join(ws.dir, 'docker-compose.yml'), 'utf8');
  const image = /^\s+image: (\S+)/m.exec(compose)![1]!;
  const config = parse(readFileSync(path.join(ws.dir, 'smoke-repair.yaml'), 'utf8')) as { app: { docker: { buildArgs?: Record<string, string> } } };
  const args = Object.entries(config.app.docker.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
  await run('docker', ['build', '--network', 'host', ...args, '-t', image, ws.dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, signal, maxBuffer: 64 * 1024 * 1024 });
  const id = (await run('docker', ['image', 'inspect', '-f', '{{.Id}}', image])).stdout.trim();
  ws.up();
  return id;
}

/** Files the fault changed that no longer parse: an operator must plant a fault, never a syntax error. */
async function unparsable(dir: string, fault: Fault, python: () => string): Promise<string[]> {
  const bad: string[] = [];
  for (const file of [...new Set(fault.edits.map((e) => e.file))]) {
    const abs = path.join(dir, file);
    try {
      if (file.endsWith('.json')) JSON.parse(readFileSync(abs, 'utf8'));
      else if (file.endsWith('.py')) await run(python(), ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', abs]);
      else if (fault.language === 'node' && !/\.(txt|in|toml|ya?ml|lock)$/.test(file)) await run(process.execPath, ['--check', abs]);
    } catch (err) {
      bad.push(`${file}: ${((err as { stderr?: string }).stderr || (err as Error).message).trim().split('\n').slice(-1)[0]}`);
    }
  }
  return bad;
}

export async function runFault(fault: Fault, ctx: RunContext): Promise<FaultResult> {
  const t0 = Date.now();
  const r = emptyResult(fault);
  if (fault.runtime === 'docker' && !ctx.docker) {
    r.outcome = 'not-observable';
    r.error = fault.note ?? 'needs Docker';
    return r;
  }
  const baseline = ctx.baselines.get(fault.app)!;
  let ws: FieldWorkspace | undefined;
  let builtImage: string | undefined;
  const signal = AbortSignal.timeout(ctx.timeoutMs);
  try {
    const port = await freePort();
    ws = copyFieldApp(fault.app, { port, ...(fault.runtime === 'docker' ? { docker: true, rebuild: true } : {}) });
    applyEdits(ws.dir, fault.edits);
    const bad = await unparsable(ws.dir, fault, fieldPython);
    if (bad.length) throw new Error(`the planted fault does not parse (an operator bug): ${bad.join('; ')}`);
    if (fault.runtime === 'docker') builtImage = await buildAndUp(ws, signal);

    const s0 = snapshot(ws.dir);
    const before = await runSmoke({ workspace: ws.dir, signal });
    const s1 = snapshot(ws.dir);
    // What the app writes by itself while it runs (none of the tool's doing).
    const appWrites = new Set(changed(s0, s1));

    const baselinePassing = new Set(baseline.passing);
    r.failingBefore = before.scenarios.filter((s) => !s.ok && (baselinePassing.has(s.name) || !baseline.failing.includes(s.name))).map((s) => s.name);
    r.detected = r.failingBefore.length > 0;
    r.locations = before.violations.map((v) => ({ scenario: v.scenario, ...(v.location ? { file: v.location.file, line: v.location.line } : {}), kind: v.locationKind }));
    const locatedIn = fault.locatedIn ?? [fault.file];
    r.located = before.violations.some((v) => v.location !== undefined && locatedIn.includes(v.location.file));
    if (!r.detected) {
      r.outcome = 'not-detected';
      return r;
    }

    const summary = await repairOnce({ workspace: ws.dir, apply: 'safe', signal });
    const s2 = snapshot(ws.dir);
    r.records = summary.records.map(summarise);
    r.planned = summary.records.some((x) => x.plan);
    r.validated = summary.records.some((x) => x.validation?.status === 'passed');
    const applied = summary.records.filter((x) => x.applied);
    r.applied = applied.length > 0;
    r.passedBefore = summary.passedBefore;
    r.passedAfter = summary.passedAfter;
    r.total = summary.total;

    // Scenarios that passed before the repair: in the first smoke run and in repairOnce's own.
    const failingInRepair = new Set(summary.records.map((x) => x.violation.scenario));
    const passedBefore = [...passingOf(before)].filter((s) => !failingInRepair.has(s));
    if (summary.reportAfter) {
      const after = passingOf(summary.reportAfter);
      r.regressions = passedBefore.filter((s) => !after.has(s));
      r.green = summary.reportAfter.passed === summary.reportAfter.total && summary.reportAfter.total >= baseline.total;
    }
    r.harmful = r.applied && summary.passedAfter < summary.passedBefore;

    const planFiles = new Set(applied.flatMap((x) => [...(x.plan?.files ?? []), ...(x.plan?.operations.map((o) => o.file) ?? []), ...diffFiles(x.diff)]));
    r.outsidePlan = changed(s1, s2).filter((f) => !appWrites.has(f) && !planFiles.has(f));

    const original = path.join(FIELD_ROOT, fault.app);
    r.reverted = [...new Set(fault.edits.map((e) => e.file))].every((f) => readFileSync(path.join(ws!.dir, f), 'utf8') === readFileSync(path.join(original, f), 'utf8'));

    if (r.applied) {
      try {
        for (let i = 0; i < applied.length; i++) await rollbackFix({ workspace: ws.dir, reload: false });
        const differs = changed(s1, snapshot(ws.dir)).filter((f) => !appWrites.has(f));
        r.rollback = differs.length === 0 ? 'identical' : { differs };
      } catch (err) {
        r.rollback = { failed: (err as Error).message };
      }
    }

    r.fixed = r.applied && r.green && r.regressions.length === 0 && !r.harmful && applied.some((x) => x.validation?.status === 'passed');
    r.outcome = r.fixed
      ? 'fixed'
      : r.applied
        ? 'applied-not-green'
        : r.validated
          ? 'validated-not-applied'
          : summary.records.some((x) => x.validation && x.validation.status !== 'passed')
            ? 'validation-failed'
            : r.planned
              ? 'no-patch'
              : 'no-plan';
    return r;
  } catch (err) {
    r.outcome = 'error';
    r.error = signal.aborted ? `timed out after ${ctx.timeoutMs / 1000} s` : ((err as Error).stack ?? String(err)).split('\n').slice(0, 3).join(' | ');
    return r;
  } finally {
    r.durationMs = Date.now() - t0;
    try {
      ws?.remove();
    } catch {
      /* already gone */
    }
    // The image built for the planted copy (a rebuild by the tool replaced its tag).
    if (builtImage) await run('docker', ['image', 'rm', builtImage]).catch(() => undefined);
  }
}

/**
 * Plant a fault in a fresh copy and check it took: the edits apply to the app as it is, and every
 * changed file still parses. Returns the problems (none: the operator planted what it says).
 */
export async function checkFault(fault: Fault): Promise<string[]> {
  const ws = copyFieldApp(fault.app, { port: 1 });
  try {
    applyEdits(ws.dir, fault.edits);
    return await unparsable(ws.dir, fault, fieldPython);
  } catch (err) {
    return [(err as Error).message];
  } finally {
    ws.remove();
  }
}

// ---------------------------------------------------------------- the corpus

async function baselineOf(app: FieldManifest, timeoutMs: number): Promise<Baseline> {
  const ws = copyFieldApp(app.name, { port: await freePort() });
  try {
    const report = await runSmoke({ workspace: ws.dir, signal: AbortSignal.timeout(timeoutMs) });
    return {
      app: app.name,
      passed: report.passed,
      total: report.total,
      passing: report.scenarios.filter((s) => s.ok).map((s) => s.name),
      failing: report.scenarios.filter((s) => !s.ok).map((s) => s.name),
    };
  } catch (err) {
    return { app: app.name, passed: 0, total: 0, passing: [], failing: [], error: (err as Error).message };
  } finally {
    ws.remove();
  }
}

/** The faults of the chosen apps and kinds; with `sample`, the first fault a rule is meant to fix of each kind in each app (else the first). */
export function plannedFaults(opts: Pick<CorpusOptions, 'apps' | 'kinds' | 'sample' | 'faults'>): Fault[] {
  const apps = fieldApps().filter((a) => !opts.apps?.length || opts.apps.includes(a.name));
  const unknown = (opts.apps ?? []).filter((n) => !apps.some((a) => a.name === n));
  if (unknown.length) throw new Error(`no field app named ${unknown.join(', ')} (there are: ${fieldApps().map((a) => a.name).join(', ')})`);
  const out: Fault[] = [];
  for (const app of apps) {
    const src = loadApp(app, path.join(FIELD_ROOT, app.name));
    const missing = missingModules(src, app.language === 'python' ? fieldPython() : 'python3');
    let faults = faultsFor(src, { missing, kinds: opts.kinds });
    if (opts.sample) {
      faults = KINDS.flatMap((k) => {
        const of = faults.filter((f) => f.kind === k);
        const pick = of.find((f) => f.ruleFixable && f.runtime === 'process') ?? of.find((f) => f.ruleFixable) ?? of[0];
        return pick ? [pick] : [];
      });
    }
    out.push(...faults);
  }
  return opts.faults?.length ? out.filter((f) => opts.faults!.some((id) => f.id.includes(id))) : out;
}

async function pool<T, R>(items: T[], jobs: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export function outcomeText(r: FaultResult): string {
  const first = r.records.find((x) => !x.applied && x.reason) ?? r.records[0];
  switch (r.outcome) {
    case 'fixed':
      return `fixed by ${r.records.filter((x) => x.applied).map((x) => `${x.planner}:${x.operations.join('+')}`).join(', ')}`;
    case 'not-detected':
      return 'not detected by the scenarios';
    case 'not-observable':
      return 'not observable as a process (Docker kind)';
    case 'error':
      return `error: ${r.error}`;
    default:
      return `${r.outcome}${r.harmful ? ' HARMFUL' : ''}${r.regressions.length ? ` regressions: ${r.regressions.join(', ')}` : ''}: ${first?.reason.slice(0, 160) ?? ''}`;
  }
}

export async function runCorpus(opts: CorpusOptions = {}): Promise<CorpusRun> {
  const started = Date.now();
  const say = opts.progress ?? (() => undefined);
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const faults = plannedFaults(opts);
  const docker = opts.docker ?? true;
  const apps = [...new Set(faults.map((f) => f.app))];
  say(`${faults.length} faults over ${apps.length} app${apps.length === 1 ? '' : 's'} (${faults.filter((f) => f.runtime === 'docker').length} need Docker${docker ? '' : ': reported as not observable'})`);

  const baselines = new Map<string, Baseline>();
  await pool(
    fieldApps().filter((a) => apps.includes(a.name)),
    opts.jobs ?? 2,
    async (app) => {
      const b = await baselineOf(app, timeoutMs);
      baselines.set(app.name, b);
      say(`baseline ${app.name}: ${b.passed}/${b.total}${b.error ? ` (${b.error})` : ''}${b.failing.length ? `, failing as written: ${b.failing.join(', ')}` : ''}`);
    },
  );

  const ctx: RunContext = { baselines, docker, timeoutMs };
  let done = 0;
  const width = String(faults.length).length;
  const report = (r: FaultResult) => {
    done++;
    say(`[${String(done).padStart(width)}/${faults.length}] ${r.fault.app} ${r.fault.kind} ${r.fault.file}:${r.fault.line} (${r.fault.variant}) → ${outcomeText(r)} (${(r.durationMs / 1000).toFixed(1)} s)`);
    return r;
  };
  const processFaults = faults.filter((f) => f.runtime === 'process' || !docker);
  const dockerFaults = faults.filter((f) => f.runtime === 'docker' && docker);
  const results = [
    ...(await pool(processFaults, opts.jobs ?? 2, async (f) => report(await runFault(f, ctx)))),
    ...(await pool(dockerFaults, 1, async (f) => report(await runFault(f, ctx)))),
  ];
  const order = new Map(faults.map((f, i) => [f.id, i]));
  results.sort((a, b) => order.get(a.fault.id)! - order.get(b.fault.id)!);
  const { progress: _progress, ...options } = opts;
  return {
    machine: machine(),
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    options: { ...options, docker, jobs: opts.jobs ?? 2, timeoutMs },
    baselines: [...baselines.values()].sort((a, b) => a.app.localeCompare(b.app)),
    unplantedCatalog: UNPLANTED_CATALOG,
    catalogSites:
      opts.kinds?.length && !opts.kinds.includes('anti-pattern')
        ? {}
        : Object.fromEntries(BUILTIN_CATALOG.map((e) => [e.id, faults.filter((f) => f.kind === 'anti-pattern' && f.variant.split(':')[0] === e.id).length])),
    results,
  };
}
