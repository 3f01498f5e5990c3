/** Shared set-up for the routing, anti-pattern and code-executor tests: workspaces copied to temp folders, planning contexts, violations. */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { configSchema } from '../../server/src/engine/config/schema';
import type { ScenarioResult, SmokeReport, Trace, Violation } from '../../server/src/engine/model';
import type { SourceReader } from '../../server/src/engine/routes';
import type { ExecutorContext, PlanningContext } from '../../server/src/engine/contracts';
import { listWorkspaceFiles } from '../../server/src/engine/traces/workspace-files';
import { REPO_ROOT } from '../setup/docker';

export const run = promisify(execFile);
export const EXAMPLES = path.join(REPO_ROOT, 'examples');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'routing');

/** A copy of a folder in a fresh temp folder (the original is never written). */
export async function copyWorkspace(src: string): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'routing-'));
  await cp(src, dir, { recursive: true, filter: (s) => !/node_modules|__pycache__/.test(s) });
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

export function violation(v: Partial<Violation> & Pick<Violation, 'method' | 'path' | 'expectedStatus' | 'actualStatus'>): Violation {
  const id = `${(v.scenario ?? 'scenario').replace(/\W+/g, '-')}:${v.actualStatus}`;
  return {
    id,
    scenarioId: id.split(':')[0]!,
    scenario: v.scenario ?? 'scenario',
    failureType: 'RUNTIME',
    strategy: 'ROUTE',
    retryable: false,
    signals: [],
    message: `${v.method} ${v.path} → ${v.actualStatus} (expected ${v.expectedStatus}): expected status ${v.expectedStatus}, got ${v.actualStatus}`,
    locationKind: 'none',
    logExcerpt: '',
    pinned: false,
    request: { method: v.method, path: v.path },
    response: { status: v.actualStatus, bodyExcerpt: '' },
    window: { startedAt: 0, endedAt: 0 },
    ...v,
  };
}

export interface PlanningOptions {
  /** Files the workspace listing leaves out (to stand for a workspace without them). */
  hide?: RegExp;
  /** Other scenarios of the same run, passing unless said otherwise. */
  scenarios?: Array<Pick<ScenarioResult, 'name' | 'method' | 'path'> & { ok?: boolean }>;
}

export async function planningContext(workspace: string, v: Violation, config: Record<string, unknown> = {}, opts: PlanningOptions = {}): Promise<PlanningContext> {
  const files = (await listWorkspaceFiles(workspace)).filter((f) => !opts.hide?.test(f));
  const scenarios = (opts.scenarios ?? []).map((s, i) => scenarioResult({ ...s, id: `other-${i}` }));
  const passed = scenarios.filter((s) => s.ok).length;
  const report: SmokeReport = { workspace, configFile: 'smoke-repair.yaml', baseUrl: '', runtime: 'docker', startedAt: 0, durationMs: 0, passRate: passed / (scenarios.length + 1), passed, total: scenarios.length + 1, scenarios, violations: [v], unsatisfied: [] };
  return {
    workspace,
    violation: v,
    report,
    config: configSchema.parse({ app: {}, ...config }),
    files,
    read: (f) => (opts.hide?.test(f) ? Promise.resolve(undefined) : readFile(path.join(workspace, f), 'utf8').catch(() => undefined)),
  };
}

function scenarioResult(s: Pick<ScenarioResult, 'name' | 'method' | 'path'> & { ok?: boolean; id: string }): ScenarioResult {
  const ok = s.ok ?? true;
  return { scenarioId: s.id, name: s.name, method: s.method, path: s.path, resolvedPath: s.path, expectedStatus: 200, status: ok ? 200 : 500, ok, durationMs: 1, startedAt: 0, endedAt: 1, bodyExcerpt: '', failures: ok ? [] : ['status'], attempts: 1 };
}

/** A workspace's files read from a folder, as the route scanner reads them (some hidden on request). */
export async function folderReader(dir: string, hide?: RegExp): Promise<SourceReader> {
  const files = (await listWorkspaceFiles(dir)).filter((f) => !hide?.test(f));
  return { files, read: (f) => (hide?.test(f) ? Promise.resolve(undefined) : readFile(path.join(dir, f), 'utf8').catch(() => undefined)) };
}

/** A workspace held in memory: path → text. */
export function memoryReader(texts: Record<string, string>): SourceReader {
  return { files: Object.keys(texts).sort(), read: async (f) => texts[f] };
}

export async function executorContext(workspace: string, file: string): Promise<ExecutorContext> {
  const text = await readFile(path.join(workspace, file), 'utf8').catch(() => undefined);
  return { workspace, file, text: text ?? '', exists: text !== undefined, read: (f) => readFile(path.join(workspace, f), 'utf8').catch(() => undefined) };
}

export function pythonTrace(exceptionClass: string, message: string, file: string, line: number, fn: string): Trace {
  return {
    language: 'python',
    exceptionClass,
    message,
    frames: [{ file, rawFile: `/app/${file}`, line, function: fn, inWorkspace: true }],
    causes: [],
    text: `${exceptionClass}: ${message}`,
  };
}

export function nodeTrace(exceptionClass: string, message: string, file: string, line: number): Trace {
  return { language: 'node', exceptionClass, message, frames: [{ file, rawFile: `/app/${file}`, line, function: '<anonymous>', inWorkspace: true }], causes: [], text: `${exceptionClass}: ${message}` };
}

/** Throws with the compiler's output when the Python file does not compile. */
export async function pyCompile(file: string): Promise<void> {
  await run('python3', ['-m', 'py_compile', file]);
}

export async function nodeCheck(file: string): Promise<void> {
  await run(process.execPath, ['--check', file]);
}

export async function writeText(dir: string, file: string, text: string): Promise<string> {
  const full = path.join(dir, file);
  await writeFile(full, text);
  return full;
}

/** A workspace written from a map of file → text, in a fresh temp folder. */
export async function workspaceOf(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'workspace-'));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}
