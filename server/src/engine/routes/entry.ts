import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { SmokeConfig } from '../config/schema';
import type { ServedEntry } from './resolve';
import type { SourceReader } from './workspace';

/**
 * Which module the app under test is started from, read from how it is run: the process command
 * (`uvicorn sql_app.main:app`, `gunicorn -k uvicorn.workers.UvicornWorker pkg.main:app`,
 * `flask --app notes run`, `FLASK_APP=notes python -m flask run`, `node ./bin/www`, `npm start` →
 * package.json's script), else the compose service's `command:` or its Dockerfile's `CMD`, else a
 * Procfile's `web:` or package.json's `start`. A workspace may hold several apps (an `alt_main.py`
 * beside `main.py`); routes are looked for in the one that runs.
 */

interface CommandContext {
  /** Workspace-relative folder the command runs in ('' for the root). */
  cwd: string;
  env: Record<string, string>;
  /** Where the command was read, for evidence. */
  origin: string;
  /** Folders to look for a module in before the whole workspace (a Docker build context). */
  roots: string[];
}

const MAX_DEPTH = 5;

export async function findServedEntry(config: SmokeConfig | undefined, reader: SourceReader): Promise<ServedEntry | undefined> {
  const files = new Set(reader.files);
  const finder = new EntryFinder(files, reader);
  const proc = config?.app.process;
  if (proc) {
    const cwd = clean(proc.cwd);
    return finder.command(proc.command, { cwd, env: { ...proc.env }, origin: `app.process.command: ${proc.command}`, roots: [cwd] }, 0);
  }
  if (config?.app.docker) {
    const { composeFile, service, container } = config.app.docker;
    const found = await finder.docker(composeFile, service, container);
    if (found) return found;
  }
  if (!config?.app.docker) {
    const compose = await finder.docker(undefined, undefined, undefined);
    if (compose) return compose;
  }
  const procfile = files.has('Procfile') ? await reader.read('Procfile').catch(() => undefined) : undefined;
  const web = procfile ? /^web:\s*(.+)$/m.exec(procfile)?.[1] : undefined;
  if (web) return finder.command(web, { cwd: '', env: {}, origin: `Procfile: web: ${web}`, roots: [''] }, 0);
  if (files.has('package.json')) return finder.command('npm start', { cwd: '', env: {}, origin: 'npm start (no run command configured)', roots: [''] }, 0);
  return undefined;
}

function clean(dir: string): string {
  const d = path.posix.normalize(dir.replace(/\\/g, '/')).replace(/^\.\/?/, '').replace(/\/$/, '');
  return d === '.' ? '' : d;
}

const join = (dir: string, rel: string) => clean(path.posix.join(dir || '.', rel));

class EntryFinder {
  constructor(
    private readonly files: ReadonlySet<string>,
    private readonly reader: SourceReader,
  ) {}

  /** The compose service's command, else the Dockerfile's CMD/ENTRYPOINT, with their environment. */
  async docker(composeFile: string | undefined, service: string | undefined, container: string | undefined): Promise<ServedEntry | undefined> {
    const composeNames = composeFile ? [clean(composeFile)] : ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
    for (const name of composeNames) {
      const text = await this.readListed(name);
      if (text === undefined) continue;
      let doc: unknown;
      try {
        doc = parseYaml(text);
      } catch {
        return undefined;
      }
      const services = (doc as { services?: Record<string, unknown> } | null)?.services;
      if (!services || typeof services !== 'object') return undefined;
      const svcName = pickService(services, service, container);
      const svc = svcName ? services[svcName] : undefined;
      if (!isObject(svc)) return undefined;
      const base = path.posix.dirname(name) === '.' ? '' : path.posix.dirname(name);
      const build = svc.build;
      const context = typeof build === 'string' ? join(base, build) : isObject(build) && typeof build.context === 'string' ? join(base, build.context) : base;
      const dockerfile = isObject(build) && typeof build.dockerfile === 'string' ? join(context, build.dockerfile) : join(context, 'Dockerfile');
      const image = await this.dockerfile(dockerfile);
      const env = { ...image.env, ...envOf(svc.environment) };
      const command = commandText(svc.command) ?? image.cmd;
      const entrypoint = commandText(svc.entrypoint) ?? image.entrypoint;
      const full = [entrypoint, command].filter(Boolean).join(' ');
      if (!full) return undefined;
      const origin = svc.command !== undefined ? `${name}: services.${svcName}.command: ${commandText(svc.command)}` : `${dockerfile}: CMD ${full}`;
      const ctx = { cwd: context, env, origin, roots: [context] };
      // An entrypoint script (`docker-entrypoint.sh`) usually ends with `exec "$@"`: the command is what runs.
      return (await this.command(full, ctx, 0)) ?? (entrypoint && command ? this.command(command, ctx, 0) : undefined);
    }
    if (composeFile) return undefined;
    if (!this.files.has('Dockerfile')) return undefined;
    const image = await this.dockerfile('Dockerfile');
    const full = [image.entrypoint, image.cmd].filter(Boolean).join(' ');
    if (!full) return undefined;
    const ctx = { cwd: '', env: image.env, origin: `Dockerfile: CMD ${full}`, roots: [''] };
    return (await this.command(full, ctx, 0)) ?? (image.entrypoint && image.cmd ? this.command(image.cmd, ctx, 0) : undefined);
  }

  /** A file of the workspace listing (a file left out of it is not read). */
  private async readListed(file: string): Promise<string | undefined> {
    return this.files.has(file) ? this.reader.read(file).catch(() => undefined) : undefined;
  }

  private async dockerfile(file: string): Promise<{ cmd?: string; entrypoint?: string; env: Record<string, string> }> {
    const text = await this.readListed(file);
    const out: { cmd?: string; entrypoint?: string; env: Record<string, string> } = { env: {} };
    if (!text) return out;
    // Continuation lines joined; the last CMD and ENTRYPOINT win, as in a build.
    for (const raw of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
      const m = /^\s*(CMD|ENTRYPOINT|ENV)\s+(.+)$/i.exec(raw);
      if (!m) continue;
      const kw = m[1]!.toUpperCase();
      const value = m[2]!.trim();
      if (kw === 'ENV') Object.assign(out.env, parseEnvLine(value));
      else {
        const exec = /^\[.*\]$/.test(value) ? jsonArray(value) : undefined;
        const cmd = exec ? exec.map(quoteWord).join(' ') : value;
        if (kw === 'CMD') out.cmd = cmd;
        else out.entrypoint = cmd;
      }
    }
    return out;
  }

  /** Interpret a shell command line: the last part of a `&&` chain that starts a server. */
  async command(line: string, ctx: CommandContext, depth: number): Promise<ServedEntry | undefined> {
    if (depth > MAX_DEPTH) return undefined;
    let cwd = ctx.cwd;
    let found: ServedEntry | undefined;
    for (const part of line.split(/&&|\|\||;/)) {
      const words = shellWords(part);
      if (words[0] === 'cd' && words[1]) {
        cwd = join(cwd, words[1]);
        continue;
      }
      const hit = await this.words(words, { ...ctx, cwd }, depth);
      if (hit) found = hit;
    }
    return found;
  }

  private async words(input: string[], ctx: CommandContext, depth: number): Promise<ServedEntry | undefined> {
    const env = { ...ctx.env };
    let w = [...input];
    // Environment assignments and wrappers that only run what follows.
    for (;;) {
      const head = w[0];
      if (head === undefined) return undefined;
      const assign = /^([A-Za-z_]\w*)=(.*)$/.exec(head);
      if (assign) {
        env[assign[1]!] = assign[2]!;
        w = w.slice(1);
      } else if (['exec', 'env', 'tini', 'dumb-init', 'npx', 'ddtrace-run', 'opentelemetry-instrument'].includes(head)) w = w.slice(1).filter((x, i) => !(i === 0 && x === '--'));
      else if (['poetry', 'pipenv', 'uv', 'pdm', 'hatch', 'rye'].includes(head) && w[1] === 'run') w = w.slice(2);
      else if (head === 'pnpm' && w[1] === 'exec') w = w.slice(2);
      else if (/^(ba|da)?sh$/.test(path.posix.basename(head)) && w[1] === '-c' && w[2]) return this.command(w[2], { ...ctx, env }, depth + 1);
      else break;
    }
    const c = { ...ctx, env };
    const tool = path.posix.basename(w[0]!);
    const args = w.slice(1);
    if (/^python(\d(\.\d+)?)?$/.test(tool)) {
      const i = args.findIndex((a) => !a.startsWith('-') || a === '-m');
      if (i < 0) return undefined;
      if (args[i] === '-m') {
        const mod = args[i + 1];
        if (!mod) return undefined;
        if (['uvicorn', 'gunicorn', 'hypercorn', 'flask', 'fastapi', 'granian', 'waitress'].includes(mod)) return this.words([mod, ...args.slice(i + 2)], c, depth + 1);
        return this.pythonModule(mod, undefined, c, `python -m ${mod}`);
      }
      return this.scriptFile(args[i]!, c);
    }
    if (['uvicorn', 'gunicorn', 'hypercorn', 'granian', 'daphne', 'waitress-serve'].includes(tool)) {
      const withValue = new Set(['-k', '--worker-class', '-w', '--workers', '-b', '--bind', '--host', '--port', '-c', '--config', '--log-level', '--interface', '--threads', '-t', '--timeout', '--env-file', '--log-config', '--root-path', '--uds', '--fd', '--forwarded-allow-ips', '--access-logfile', '--error-logfile', '--name', '-n', '--listen', '--port']);
      let appDir = '';
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        if (a === '--app-dir' || a === '--chdir') appDir = args[++i] ?? '';
        else if (/^--(app-dir|chdir)=/.test(a)) appDir = a.slice(a.indexOf('=') + 1);
        else if (withValue.has(a)) i++;
        else if (!a.startsWith('-')) {
          // gunicorn and waitress take a bare module too (its `application`).
          const spec = /^([A-Za-z_][\w.]*):([A-Za-z_]\w*)(\(.*\))?$/.exec(a) ?? (/^(gunicorn|waitress-serve)$/.test(tool) ? /^([A-Za-z_][\w.]*)()$/.exec(a) : null);
          if (spec) return this.pythonModule(spec[1]!, spec[2] || undefined, { ...c, cwd: join(c.cwd, appDir), roots: [...c.roots.map((r) => join(r, appDir))] }, `${tool} ${a}`);
        }
      }
      return undefined;
    }
    if (tool === 'flask') {
      const at = args.findIndex((a) => a === '--app' || a === '-A' || a.startsWith('--app='));
      const spec = at >= 0 ? (args[at]!.includes('=') ? args[at]!.slice(6) : args[at + 1]) : env.FLASK_APP;
      if (spec) return this.flaskApp(spec, c, at >= 0 ? `flask --app ${spec}` : `FLASK_APP=${spec}`);
      for (const f of ['wsgi.py', 'app.py']) {
        const file = this.findFile(f, c);
        if (file) return { files: [file], how: `${c.origin} (flask's default ${f})` };
      }
      return undefined;
    }
    if (tool === 'fastapi' && (args[0] === 'run' || args[0] === 'dev')) {
      const file = args.slice(1).find((a) => !a.startsWith('-') && /\.py$/.test(a));
      const cands = file ? [file] : ['main.py', 'app.py', 'api.py', 'app/main.py', 'app/app.py', 'app/api.py'];
      for (const f of cands) {
        const hit = this.findFile(f, c);
        if (hit) return { files: [hit], how: `${c.origin} (fastapi ${args[0]} ${f})` };
      }
      return undefined;
    }
    if (['npm', 'yarn', 'pnpm', 'bun'].includes(tool)) {
      // `npm start`, `npm run dev`, `yarn dev` (yarn runs a script by its name; `yarn` alone installs).
      const yarnScript = tool === 'yarn' && args[0] && !args[0].startsWith('-') && !['install', 'add', 'remove', 'upgrade'].includes(args[0]) ? args[0] : undefined;
      const script = args[0] === 'run' || args[0] === 'run-script' ? args[1] : args[0] === 'start' ? 'start' : yarnScript;
      if (!script) return tool === 'bun' && args[0] ? this.scriptFile(args[0], c) : undefined;
      return this.packageScript(script, c, depth);
    }
    if (['node', 'nodemon', 'ts-node', 'ts-node-dev', 'tsx', 'bun', 'deno', 'pm2-runtime', 'pm2'].includes(tool)) {
      const withValue = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-w', '--watch', '-e', '--exec', '--env-file', '--name', '-i']);
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        if (withValue.has(a) && !(tool === 'node' && a === '--watch')) i++;
        else if (a.startsWith('-') || ['watch', 'run', 'start'].includes(a)) continue;
        else if (a === '.') return this.packageMain(c);
        else return this.scriptFile(a, c);
      }
      return undefined;
    }
    return undefined;
  }

  private async packageScript(name: string, ctx: CommandContext, depth: number): Promise<ServedEntry | undefined> {
    const pkgFile = join(ctx.cwd, 'package.json');
    const pkg = await this.packageJson(pkgFile);
    if (!pkg) return undefined;
    const script = pkg.scripts?.[name];
    // npm runs `node server.js` for `start` when there is no script and a server.js.
    if (script === undefined) return name === 'start' && this.files.has(join(ctx.cwd, 'server.js')) ? { files: [join(ctx.cwd, 'server.js')], how: `${pkgFile}: npm's default start (node server.js)` } : undefined;
    const found = await this.command(script, { ...ctx, origin: `${pkgFile}: scripts.${name}: ${script}` }, depth + 1);
    return found && { ...found, how: `${ctx.origin} → ${found.how}` };
  }

  private async packageMain(ctx: CommandContext): Promise<ServedEntry | undefined> {
    const pkg = await this.packageJson(join(ctx.cwd, 'package.json'));
    return this.scriptFile(pkg?.main ?? 'index.js', ctx);
  }

  private async packageJson(file: string): Promise<{ scripts?: Record<string, string>; main?: string } | undefined> {
    const text = await this.readListed(file);
    if (!text) return undefined;
    try {
      const doc = JSON.parse(text) as unknown;
      if (!isObject(doc)) return undefined;
      const scripts = isObject(doc.scripts) ? Object.fromEntries(Object.entries(doc.scripts).filter(([, v]) => typeof v === 'string')) as Record<string, string> : undefined;
      return { scripts, main: typeof doc.main === 'string' ? doc.main : undefined };
    } catch {
      return undefined;
    }
  }

  /** `notes`, `notes:create_app`, `notes.wsgi:app`, `app.py`, `"notes:create_app('dev')"`. */
  private flaskApp(spec: string, ctx: CommandContext, what: string): ServedEntry | undefined {
    const m = /^([^:]+?)(?::([A-Za-z_]\w*).*)?$/.exec(spec.trim());
    if (!m) return undefined;
    const target = m[1]!;
    if (/\.py$/.test(target) || target.includes('/')) {
      const file = this.findFile(target.endsWith('.py') ? target : `${target}/__init__.py`, ctx);
      return file ? { files: [file], ...(m[2] ? { attribute: m[2] } : {}), how: `${ctx.origin} (${what})` } : undefined;
    }
    return this.pythonModule(target, m[2], ctx, what);
  }

  private pythonModule(module: string, attribute: string | undefined, ctx: CommandContext, what: string): ServedEntry | undefined {
    const rel = module.split('.').join('/');
    const file = this.findFile(`${rel}.py`, ctx) ?? this.findFile(`${rel}/__init__.py`, ctx) ?? this.findFile(`${rel}/__main__.py`, ctx);
    if (!file) return undefined;
    return { files: [file], ...(attribute ? { attribute } : {}), how: `${ctx.origin}${ctx.origin.includes(what) ? '' : ` (${what})`}` };
  }

  private scriptFile(script: string, ctx: CommandContext): ServedEntry | undefined {
    const exts = ['', '.js', '.ts', '.mjs', '.cjs', '/index.js', '/index.ts'];
    for (const e of exts) {
      const file = this.findFile(script + e, ctx);
      if (file) return { files: [file], how: ctx.origin };
    }
    return undefined;
  }

  /**
   * A workspace file for a path relative to where the command runs: in its folder, in the build
   * context, else (the container's layout differing from the workspace's) the shortest workspace
   * path ending with it.
   */
  private findFile(rel: string, ctx: CommandContext): string | undefined {
    const r = rel.replace(/^\.\//, '');
    if (path.posix.isAbsolute(r)) {
      // A container path: match its tail.
      const parts = r.split('/').filter(Boolean);
      for (let i = 0; i < parts.length; i++) {
        const hit = this.findFile(parts.slice(i).join('/'), ctx);
        if (hit) return hit;
      }
      return undefined;
    }
    for (const dir of [ctx.cwd, ...ctx.roots]) {
      const cand = join(dir, r);
      if (this.files.has(cand)) return cand;
    }
    const hits = [...this.files].filter((f) => f === r || f.endsWith(`/${r}`)).sort((a, b) => a.length - b.length || a.localeCompare(b));
    return hits[0];
  }
}

/**
 * The compose service the app runs as: the one configured; else the one whose container it is
 * (`container_name`, or compose's `<project>-<service>-<n>`); else the only one built from the
 * workspace. Undefined when the file leaves it open.
 */
function pickService(services: Record<string, unknown>, service: string | undefined, container: string | undefined): string | undefined {
  const names = Object.keys(services);
  if (service) return names.includes(service) ? service : undefined;
  if (container) {
    const byName = names.find((n) => isObject(services[n]) && services[n].container_name === container);
    if (byName) return byName;
    const byPattern = names.filter((n) => new RegExp(`(^|[-_])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([-_]\\d+)?$`).test(container));
    if (byPattern.length === 1) return byPattern[0];
  }
  if (names.length === 1) return names[0];
  const built = names.filter((n) => isObject(services[n]) && 'build' in services[n]);
  return built.length === 1 ? built[0] : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function commandText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((x) => quoteWord(x as string)).join(' ');
  return undefined;
}

function envOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const m = typeof item === 'string' ? /^([^=]+)=(.*)$/.exec(item) : null;
      if (m) out[m[1]!] = m[2]!;
    }
  } else if (isObject(v)) for (const [k, val] of Object.entries(v)) if (val !== null && val !== undefined) out[k] = String(val);
  return out;
}

/** `ENV A=1 B="two words"` and the old `ENV A 1` form. */
function parseEnvLine(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value.includes('=')) {
    const m = /^(\S+)\s+(.*)$/.exec(value);
    if (m) out[m[1]!] = m[2]!;
    return out;
  }
  for (const w of shellWords(value)) {
    const m = /^([^=]+)=(.*)$/.exec(w);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function jsonArray(value: string): string[] | undefined {
  try {
    const a = JSON.parse(value) as unknown;
    return Array.isArray(a) && a.every((x) => typeof x === 'string') ? (a as string[]) : undefined;
  } catch {
    return undefined;
  }
}

function quoteWord(w: string): string {
  return /[\s"'$&|;]/.test(w) ? `'${w.replace(/'/g, `'\\''`)}'` : w;
}

/** Split a command line into words as a POSIX shell would (quotes, backslashes), without expansions. */
export function shellWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      cur += end < 0 ? line.slice(i + 1) : line.slice(i + 1, end);
      i = end < 0 ? line.length : end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        cur += line[j];
      }
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}
