/**
 * The field corpus (test/field/): small apps written in the styles real projects use, each with a
 * `field.json` manifest: how it runs as a process, the scenarios a user would write, and the
 * sites where a fault can be planted. A test takes a private copy of an app, plants faults
 * (each one raises an error whose message names its site), and runs it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { z } from 'zod';

/** The local base images the field apps' Dockerfiles build on (scripts/setup-docker.sh). */
const PYTHON_BASE = 'smoke-repair/python-base:1';
const NODE_BASE = 'smoke-repair/node-base:1';

export const FIELD_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'field');
const REPO_ROOT = path.resolve(FIELD_ROOT, '..', '..');

const siteSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  /** The scenario whose request reaches this site. */
  scenario: z.string(),
  file: z.string(),
  /** A whole line of `file` (unique in it): the fault goes after it (or before it with `before`). */
  after: z.string(),
  before: z.boolean().optional(),
});

const manifestSchema = z.strictObject({
  name: z.string(),
  style: z.string(),
  language: z.enum(['python', 'node']),
  framework: z.enum(['fastapi', 'flask', 'express']),
  /** Whether an unhandled error's stack reaches the app's log (false: a handler logs one line, or nothing). */
  logsStacks: z.boolean(),
  process: z.strictObject({ command: z.string(), env: z.record(z.string(), z.string()).default({}) }),
  scenarios: z.array(z.record(z.string(), z.unknown())).min(1),
  sites: z.array(siteSchema),
});

export type FieldManifest = z.infer<typeof manifestSchema>;
export type FieldSite = z.infer<typeof siteSchema>;

export function fieldApps(): FieldManifest[] {
  return readdirSync(FIELD_ROOT)
    .filter((d) => existsSync(path.join(FIELD_ROOT, d, 'field.json')))
    .sort()
    .map((d) => manifestSchema.parse(JSON.parse(readFileSync(path.join(FIELD_ROOT, d, 'field.json'), 'utf8'))));
}

/** The Python that has every field app's packages (test/requirements.txt), made on first use. */
let python: string | undefined;
export function fieldPython(): string {
  python ??= process.env.FASTAPI_PYTHON && process.env.FIELD_PYTHON_READY
    ? process.env.FASTAPI_PYTHON
    : execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'setup-python.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return python;
}

/** npm packages of a Node field app, installed from its lockfile when missing. */
function ensureNodeModules(dir: string): void {
  if (existsSync(path.join(dir, 'node_modules', '.package-lock.json'))) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The error a planted fault raises, by language; its message names the site. */
export function plantedMessage(site: FieldSite): string {
  return `planted fault ${site.id}`;
}

const PY_CLASSES = ['LookupError', 'ValueError', 'RuntimeError', 'ArithmeticError', 'PermissionError', 'TimeoutError'];
const JS_CLASSES = ['TypeError', 'RangeError', 'Error', 'SyntaxError', 'EvalError', 'URIError'];

/** The exception class planted at the i-th site: different neighbours, so a swapped trace shows. */
export function plantedClass(app: FieldManifest, i: number): string {
  return (app.language === 'python' ? PY_CLASSES : JS_CLASSES)[i % PY_CLASSES.length];
}

/** Insert a raising statement at `site` in `text`; throws when the anchor line is missing or not unique. */
export function plant(app: FieldManifest, text: string, site: FieldSite, cls: string): string {
  const lines = text.split('\n');
  const at = lines.flatMap((l, i) => (l.trimEnd() === site.after.trimEnd() ? [i] : []));
  if (at.length !== 1) throw new Error(`${app.name}/${site.file}: the anchor of site ${site.id} is found ${at.length} times (expected once): ${site.after}`);
  const i = at[0];
  const next = site.before ? lines[i] : lines.slice(i + 1).find((l) => l.trim() !== '') ?? '';
  const indent = /^\s*/.exec(next)![0];
  const message = plantedMessage(site);
  const statement = app.language === 'python' ? `raise ${cls}(${JSON.stringify(message)})` : `throw new ${cls}(${JSON.stringify(message)});`;
  lines.splice(site.before ? i : i + 1, 0, indent + statement);
  return lines.join('\n');
}

export interface FieldWorkspace {
  app: FieldManifest;
  dir: string;
  port: number;
  /** Planted sites with the class each raises. */
  planted: Array<FieldSite & { exceptionClass: string }>;
  /** Its compose project, when it runs in Docker. */
  project: string;
  /** `docker-compose up -d` (Docker copies). */
  up(): void;
  /** Takes the containers down and deletes the folder. */
  remove(): void;
}

export interface FieldCopyOptions {
  port: number;
  /** Run it in Docker (its compose file, own project, the field image) instead of as a process. */
  docker?: boolean;
  /**
   * Docker: let the tool rebuild the image (`app.docker.rebuild`), on an image tag of the copy's own
   * so the shared field image stays as it is.
   */
  rebuild?: boolean;
  /** Site ids to plant a fault at (default none). */
  plant?: string[];
  /** Extra top-level keys of smoke-repair.yaml (e.g. `smoke`). */
  config?: Record<string, unknown>;
  /** Scenario names to keep (default all). */
  scenarios?: string[];
}

/**
 * A private copy of a field app in a temp folder, with faults planted and a smoke-repair.yaml that
 * runs it as a process on `port`. Node apps share the original's node_modules (a symlink).
 */
export function copyFieldApp(name: string, options: FieldCopyOptions): FieldWorkspace {
  const app = fieldApps().find((a) => a.name === name);
  if (!app) throw new Error(`no field app named ${name} under ${FIELD_ROOT}`);
  const src = path.join(FIELD_ROOT, name);
  if (app.language === 'node') ensureNodeModules(src);
  const dir = mkdtempSync(path.join(tmpdir(), `field-${name}-`));
  cpSync(src, dir, { recursive: true, filter: (s) => !/node_modules|__pycache__|\.smoke-repair|field\.json$/.test(path.relative(src, s)) });
  if (app.language === 'node' && !options.docker) symlinkSync(path.join(src, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const data = path.join(dir, '.data');
  mkdirSync(data);

  const planted: FieldWorkspace['planted'] = [];
  for (const id of options.plant ?? []) {
    const index = app.sites.findIndex((s) => s.id === id);
    if (index < 0) throw new Error(`${name} has no site ${id}`);
    const site = app.sites[index];
    const cls = plantedClass(app, index);
    const file = path.join(dir, site.file);
    writeFileSync(file, plant(app, readFileSync(file, 'utf8'), site, cls));
    planted.push({ ...site, exceptionClass: cls });
  }

  const fill = (s: string) =>
    s.replaceAll('{python}', app.language === 'python' ? fieldPython() : 'python3').replaceAll('{port}', String(options.port)).replaceAll('{data}', data);
  const scenarios = options.scenarios ? app.scenarios.filter((s) => options.scenarios!.includes(String(s.name))) : app.scenarios;
  const project = `field-${name}-${options.port}`;
  const ownImage = `field/${name}-copy:${options.port}`;
  const runtime = options.docker
    ? {
        docker: {
          project,
          service: composeService(dir),
          ...(options.rebuild ? { rebuild: true, buildArgs: { BASE: app.language === 'python' ? PYTHON_BASE : NODE_BASE } } : {}),
        },
      }
    : { process: { command: fill(app.process.command), env: Object.fromEntries(Object.entries(app.process.env).map(([k, v]) => [k, fill(v)])) } };
  const config = {
    app: { baseUrl: `http://127.0.0.1:${options.port}`, ...runtime },
    ...options.config,
    scenarios,
  };
  writeFileSync(path.join(dir, 'smoke-repair.yaml'), stringify(config));
  if (options.docker) {
    // The copy's own project and port; the image is the one `setup-docker.sh field` built.
    const composeFile = path.join(dir, 'docker-compose.yml');
    let compose = readFileSync(composeFile, 'utf8').replace(/PORT: "\d+"/, `PORT: "${options.port}"`);
    if (options.rebuild) {
      const shared = /^\s+image: (\S+)/m.exec(compose)![1];
      execFileSync('docker', ['tag', shared, ownImage], { stdio: 'ignore' });
      compose = compose.replace(/^(\s+image: )\S+/m, `$1${ownImage}`);
    }
    writeFileSync(composeFile, compose);
  }
  const compose = (...args: string[]) =>
    execFileSync('docker-compose', ['-p', project, '-f', path.join(dir, 'docker-compose.yml'), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  return {
    app,
    dir,
    port: options.port,
    planted,
    project,
    up: () => void compose('up', '-d', '--no-build'),
    remove: () => {
      if (options.docker) {
        try {
          compose('down', '--remove-orphans', '-t', '2');
        } catch {
          /* nothing was started */
        }
        if (options.rebuild) {
          try {
            execFileSync('docker', ['image', 'rm', '-f', ownImage], { stdio: 'ignore' });
          } catch {
            /* already gone */
          }
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The one service of a field app's compose file. */
function composeService(dir: string): string {
  const m = /^services:\n\s+([\w-]+):/m.exec(readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8'));
  if (!m) throw new Error(`${dir}/docker-compose.yml: no service found`);
  return m[1];
}

/** The Docker engine and the field apps' images (scripts/setup-docker.sh field). */
export function ensureFieldImages(): void {
  execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'setup-docker.sh'), 'field'], { stdio: ['ignore', 'ignore', 'pipe'] });
}
