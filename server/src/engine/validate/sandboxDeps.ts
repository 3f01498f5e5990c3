import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises';
import * as path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parseRequirements } from '../deps/requirements';

/**
 * Dependencies a patch adds, installed for the sandboxed app alone: a process app runs on the
 * user's environment (their virtual environment, their node_modules), which the sandbox must not
 * touch. Python packages go to a folder of the sandbox put first on PYTHONPATH (`pip install
 * --target`, with the app's own interpreter); npm packages to a prefix of the sandbox, linked into
 * the view's own node_modules beside links to every package the workspace has.
 */

export interface AddedDependencies {
  python: string[];
  npm: string[];
}

export interface SandboxInstall {
  /** Environment for the sandboxed app (PYTHONPATH); empty when nothing was installed. */
  env: Record<string, string>;
  /** What was installed and how, for the step's output. */
  output: string;
  /** What a person runs in the workspace after applying the fix, so their environment has it too. */
  afterApply: string[];
}

/** Requirement specifiers a changed manifest adds, by ecosystem (`PyYAML==6.0.2`, `pluralize@^8.0.0`). */
export function addedDependencies(changes: ReadonlyArray<{ file: string; before: string | null; after: string }>): AddedDependencies {
  const out: AddedDependencies = { python: [], npm: [] };
  for (const c of changes) {
    const base = path.posix.basename(c.file);
    if (/^requirements[\w.-]*\.txt$/i.test(base)) {
      const before = new Set(c.before === null ? [] : parseRequirements(c.before).requirements.map((r) => r.key));
      for (const r of parseRequirements(c.after).requirements) {
        if (before.has(r.key) || r.specifier === undefined) continue;
        out.python.push(`${r.name}${r.specifier}`);
      }
    } else if (base === 'pyproject.toml') {
      const names = (text: string | null) => new Set(pyprojectRequirements(text));
      const before = names(c.before);
      for (const req of pyprojectRequirements(c.after)) if (!before.has(req)) out.python.push(req);
    } else if (base === 'package.json') {
      const before = packageDependencies(c.before);
      for (const [name, range] of Object.entries(packageDependencies(c.after))) if (!(name in before)) out.npm.push(`${name}@${range}`);
    }
  }
  return out;
}

function pyprojectRequirements(text: string | null): string[] {
  if (!text) return [];
  try {
    const doc = parseToml(text) as { project?: { dependencies?: unknown } };
    const deps = doc.project?.dependencies;
    return Array.isArray(deps) ? deps.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}

function packageDependencies(text: string | null): Record<string, string> {
  if (!text) return {};
  try {
    const data = JSON.parse(text) as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const section of ['dependencies', 'optionalDependencies']) {
      const v = data[section];
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, r] of Object.entries(v)) if (typeof r === 'string') out[k] = r;
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * The Python the app runs on, from its command: an interpreter named first (`.venv/bin/python -m
 * uvicorn ...`, `python3 app.py`), or the interpreter beside a launcher given by path
 * (`.venv/bin/uvicorn` → `.venv/bin/python`), else `python3` on the PATH.
 */
export function appPython(command: string, cwd: string): string {
  const words = command.trim().split(/\s+/).filter((w) => !/^\w+=/.test(w));
  const first = words[0] ?? '';
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.resolve(cwd, p));
  if (/(?:^|\/)python(?:\d+(?:\.\d+)?)?$/.test(first)) return first.includes('/') ? abs(first) : first;
  if (first.includes('/')) {
    const dir = path.dirname(abs(first));
    for (const name of ['python', 'python3']) if (existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return 'python3';
}

function run(file: string, args: string[], cwd: string, signal?: AbortSignal): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, signal, timeout: 300_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' } }, (err, stdout, stderr) => {
      resolve({ ok: !err, output: `${stdout}${stderr}`.trim() });
    });
  });
}

export class SandboxInstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxInstallError';
  }
}

/** Install what the patch adds for the sandboxed app; throws SandboxInstallError with the installer's output when that fails. */
export async function installForSandbox(input: {
  added: AddedDependencies;
  /** The sandbox's own folder (installs go under it). */
  root: string;
  /** The view the app runs in. */
  view: string;
  workspace: string;
  command: string;
  cwd: string;
  signal?: AbortSignal;
}): Promise<SandboxInstall> {
  const result: SandboxInstall = { env: {}, output: '', afterApply: [] };
  const lines: string[] = [];
  if (input.added.python.length) {
    const python = appPython(input.command, input.cwd);
    const target = path.join(input.root, 'python-packages');
    const r = await run(python, ['-m', 'pip', 'install', '--quiet', '--target', target, ...input.added.python], input.root, input.signal);
    if (!r.ok) throw new SandboxInstallError(`pip install ${input.added.python.join(' ')} (with ${python}) failed:\n${r.output.split('\n').slice(-15).join('\n')}`);
    result.env.PYTHONPATH = [target, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
    lines.push(`installed for the sandbox with ${python}: ${input.added.python.join(', ')}`);
    result.afterApply.push(`${python} -m pip install ${input.added.python.map((s) => JSON.stringify(s)).join(' ')}`);
  }
  if (input.added.npm.length) {
    const prefix = path.join(input.root, 'npm-packages');
    await mkdir(prefix, { recursive: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = await run(npm, ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', ...input.added.npm], input.root, input.signal);
    if (!r.ok) throw new SandboxInstallError(`npm install ${input.added.npm.join(' ')} failed:\n${r.output.split('\n').slice(-15).join('\n')}`);
    await mergeNodeModules(path.join(input.view, 'node_modules'), path.join(input.workspace, 'node_modules'), path.join(prefix, 'node_modules'));
    lines.push(`installed for the sandbox: ${input.added.npm.join(', ')}`);
    result.afterApply.push('npm install');
  }
  result.output = lines.join('\n');
  return result;
}

/**
 * The view's node_modules as a folder of its own: a link to each package the workspace has, then a
 * link to each package the sandbox installed that the workspace lacks (scoped ones inside a scope
 * folder of their own). Packages resolve their own dependencies from where they really are.
 */
async function mergeNodeModules(viewModules: string, workspaceModules: string, added: string): Promise<void> {
  await rm(viewModules, { force: true, recursive: false }).catch(() => undefined);
  await mkdir(viewModules, { recursive: true });
  const linkAll = async (from: string, to: string, skipExisting: boolean) => {
    let names: string[] = [];
    try {
      names = await readdir(from);
    } catch {
      return;
    }
    for (const name of names) {
      if (name === '.package-lock.json') continue;
      if (name.startsWith('@')) {
        await mkdir(path.join(to, name), { recursive: true });
        await linkAll(path.join(from, name), path.join(to, name), skipExisting);
        continue;
      }
      if (skipExisting && existsSync(path.join(to, name))) continue;
      await symlink(path.join(from, name), path.join(to, name));
    }
  };
  await linkAll(workspaceModules, viewModules, false);
  await linkAll(added, viewModules, true);
}

/** Read a changed file's text before and after, from the workspace and the sandbox. */
export async function changeOf(workspace: string, sandboxFile: string, file: string): Promise<{ file: string; before: string | null; after: string }> {
  const before = await readFile(path.join(workspace, file), 'utf8').catch(() => null);
  return { file, before, after: await readFile(sandboxFile, 'utf8') };
}
