import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { parseAllDocuments } from 'yaml';
import { checkRequirements } from './requirements';

/**
 * The parse step: every changed file of a known kind still parses. Python through one python3
 * call that compiles all files, JavaScript with `node --check`, TypeScript with esbuild, JSON
 * (package.json: its dependency tables are objects of strings), TOML, pip requirements, YAML.
 * Other kinds are skipped, file by file. Problems name the workspace-relative file and line.
 */

export type FileKind = 'python' | 'javascript' | 'typescript' | 'json' | 'toml' | 'requirements' | 'yaml';

export interface ParseProblem {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export interface ParseFile {
  /** Workspace-relative path. */
  file: string;
  /** Where the new text is on disk (the sandbox copy). */
  path: string;
  text: string;
}

export interface ParseOutcome {
  /** Files of a known kind that parsed. */
  passed: string[];
  problems: ParseProblem[];
  /** Files of no known kind. */
  skipped: string[];
}

export function fileKind(file: string, text?: string): FileKind | undefined {
  const base = path.posix.basename(file).toLowerCase();
  // A script without an extension (`bin/www`, `manage`) says what it is on its `#!` line.
  if (text !== undefined && !base.includes('.')) {
    const shebang = /^#!.*\b(node|python3?)\b/.exec(text.slice(0, 200));
    if (shebang) return shebang[1] === 'node' ? 'javascript' : 'python';
  }
  if (/\.pyi?$/.test(base)) return 'python';
  if (/\.(m|c)?js$/.test(base)) return 'javascript';
  if (/\.(m|c)?tsx?$/.test(base) || base.endsWith('.jsx')) return 'typescript';
  if (base.endsWith('.json')) return 'json';
  if (base.endsWith('.toml')) return 'toml';
  if (/^(requirements|constraints)([-_.][^/]*)?\.(txt|in)$/.test(base) || (/(^|\/)requirements\//.test(file) && base.endsWith('.txt'))) return 'requirements';
  if (/\.ya?ml$/.test(base)) return 'yaml';
  return undefined;
}

export function formatProblem(p: ParseProblem): string {
  return `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}: ${p.message}`;
}

/**
 * Parse every file. `scratch` is a folder for temporary copies (ES modules checked as .mjs);
 * `isModule` says whether a `.js` file is an ES module (package.json `"type": "module"`).
 */
export async function parseFiles(
  files: ParseFile[],
  opts: { scratch: string; workspace?: string; isModule?: (file: string) => Promise<boolean>; python?: string; signal?: AbortSignal },
): Promise<ParseOutcome> {
  const out: ParseOutcome = { passed: [], problems: [], skipped: [] };
  const python: ParseFile[] = [];
  for (const f of files) {
    const kind = fileKind(f.file, f.text);
    if (!kind) {
      out.skipped.push(f.file);
      continue;
    }
    if (kind === 'python') {
      python.push(f);
      continue;
    }
    let problems: ParseProblem[];
    if (kind === 'javascript') problems = await checkJavaScript(f, opts.scratch, (await opts.isModule?.(f.file)) ?? false, opts.signal);
    else if (kind === 'typescript') {
      const checked = await checkTypeScript(f, opts.workspace);
      if (checked === 'skipped') {
        out.skipped.push(f.file);
        continue;
      }
      problems = checked;
    }
    else if (kind === 'json') problems = checkJson(f);
    else if (kind === 'toml') problems = checkToml(f);
    else if (kind === 'requirements') problems = checkRequirements(f.text).map((p) => ({ file: f.file, line: p.line, message: p.message }));
    else problems = checkYaml(f);
    if (problems.length) out.problems.push(...problems);
    else out.passed.push(f.file);
  }
  if (python.length) {
    const problems = await checkPython(python, opts.python ?? 'python3', opts.signal);
    const bad = new Set(problems.map((p) => p.file));
    out.problems.push(...problems);
    out.passed.push(...python.map((f) => f.file).filter((f) => !bad.has(f)));
  }
  out.passed.sort();
  return out;
}

// ---------------------------------------------------------------- Python

const COMPILE_ALL = `
import json, sys
out = []
args = sys.argv[1:]
for rel, full in zip(args[0::2], args[1::2]):
    try:
        with open(full, "rb") as f:
            compile(f.read(), rel, "exec", dont_inherit=True)
    except SyntaxError as e:
        out.append({"file": rel, "line": e.lineno, "column": e.offset, "message": type(e).__name__ + ": " + str(e.msg)})
    except Exception as e:
        out.append({"file": rel, "message": type(e).__name__ + ": " + str(e)})
print(json.dumps(out))
`;

async function checkPython(files: ParseFile[], python: string, signal?: AbortSignal): Promise<ParseProblem[]> {
  const args = ['-c', COMPILE_ALL, ...files.flatMap((f) => [f.file, f.path])];
  const { stdout, stderr, error } = await run(python, args, signal);
  if (error) {
    return [{ file: files[0].file, message: `python could not be run to compile ${files.map((f) => f.file).join(', ')}: ${error}${stderr ? `\n${stderr}` : ''}` }];
  }
  const parsed = JSON.parse(stdout) as Array<{ file: string; line?: number | null; column?: number | null; message: string }>;
  return parsed.map((p) => ({ file: p.file, line: p.line ?? undefined, column: p.column ?? undefined, message: p.message }));
}

// ---------------------------------------------------------------- JavaScript and TypeScript

async function checkJavaScript(f: ParseFile, scratch: string, isModule: boolean, signal?: AbortSignal): Promise<ParseProblem[]> {
  let target = f.path;
  const ext = path.posix.extname(f.file);
  let temp: string | undefined;
  if (ext === '.js' && isModule) {
    await mkdir(scratch, { recursive: true });
    temp = await mkdtemp(path.join(scratch, 'esm-'));
    target = path.join(temp, path.posix.basename(f.file, '.js') + '.mjs');
    await writeFile(target, f.text);
  }
  try {
    const { stderr, error } = await run(process.execPath, ['--check', target], signal);
    if (!error) return [];
    const lineMatch = new RegExp(`^${escapeRegExp(target)}:(\\d+)`, 'm').exec(stderr);
    const message = /^(\w*Error: .*)$/m.exec(stderr)?.[1] ?? stderr.trim().split('\n').pop() ?? error;
    const excerpt = stderr.split(target).join(f.file).trim();
    return [{ file: f.file, line: lineMatch ? Number(lineMatch[1]) : undefined, message: `${message}\n${excerpt}` }];
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

type Transform = (text: string, opts: { loader: string; sourcefile: string; logLevel: string }) => Promise<unknown>;

/**
 * esbuild's parser, from the workspace's own install or the tool's. It ships a native binary per
 * platform, so the extension does not bundle it; without one, TypeScript files are not parsed
 * (the step says so) rather than guessed at.
 */
function loadTransform(workspace: string | undefined): Transform | undefined {
  for (const base of [workspace, __dirname]) {
    if (!base) continue;
    try {
      const resolved = require.resolve('esbuild', { paths: [base] });
      return (require(resolved) as { transform: Transform }).transform;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

async function checkTypeScript(f: ParseFile, workspace: string | undefined): Promise<ParseProblem[] | 'skipped'> {
  const ext = path.posix.extname(f.file);
  const loader = ext === '.tsx' ? 'tsx' : ext === '.jsx' ? 'jsx' : 'ts';
  const transform = loadTransform(workspace);
  if (!transform) return 'skipped';
  try {
    await transform(f.text, { loader, sourcefile: f.file, logLevel: 'silent' });
    return [];
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { line: number; column: number } | null }> }).errors;
    if (!errors?.length) return [{ file: f.file, message: (err as Error).message }];
    return errors.map((e) => ({ file: f.file, line: e.location?.line, column: e.location ? e.location.column + 1 : undefined, message: e.text }));
  }
}

// ---------------------------------------------------------------- JSON

const JSONC = /(^|\/)(tsconfig[^/]*|jsconfig[^/]*|\.vscode\/[^/]*|devcontainer|\.devcontainer\/[^/]*)\.json$/;
const DEPENDENCY_TABLES = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];

function checkJson(f: ParseFile): ParseProblem[] {
  const source = JSONC.test(f.file) ? stripJsonComments(f.text) : f.text;
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (err) {
    const message = (err as Error).message;
    const at = /at position (\d+)/.exec(message);
    const lc = /\(line (\d+) column (\d+)\)/.exec(message);
    if (lc) return [{ file: f.file, line: Number(lc[1]), column: Number(lc[2]), message }];
    if (at) {
      const { line, column } = positionToLineColumn(source, Number(at[1]));
      return [{ file: f.file, line, column, message }];
    }
    const endLine = source.split('\n').length;
    return [{ file: f.file, line: /end of JSON input/.test(message) ? endLine : undefined, message }];
  }
  if (path.posix.basename(f.file) !== 'package.json') return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [{ file: f.file, line: 1, message: 'package.json must hold an object' }];
  const problems: ParseProblem[] = [];
  for (const table of DEPENDENCY_TABLES) {
    const deps = (value as Record<string, unknown>)[table];
    if (deps === undefined) continue;
    const line = lineOfKey(f.text, table);
    if (typeof deps !== 'object' || deps === null || Array.isArray(deps)) {
      problems.push({ file: f.file, line, message: `"${table}" must be an object of package name → version range` });
      continue;
    }
    for (const [name, range] of Object.entries(deps)) {
      if (typeof range !== 'string') problems.push({ file: f.file, line: lineOfKey(f.text, name, line) ?? line, message: `"${table}.${name}" must be a string (a version range), not ${JSON.stringify(range)}` });
    }
  }
  return problems;
}

function lineOfKey(text: string, key: string, from = 1): number | undefined {
  const lines = text.split('\n');
  const needle = JSON.stringify(key);
  for (let i = Math.max(0, from - 1); i < lines.length; i++) if (new RegExp(`${escapeRegExp(needle)}\\s*:`).test(lines[i])) return i + 1;
  return undefined;
}

function positionToLineColumn(text: string, at: number): { line: number; column: number } {
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** Comments and trailing commas out, everything else (and every line break) kept, so positions stay. */
function stripJsonComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') (out += ' '), i++;
      out += text[i] ?? '';
    } else if (c === '/' && text[i + 1] === '*') {
      out += '  ';
      for (i += 2; i < text.length && !(text[i] === '*' && text[i + 1] === '/'); i++) out += text[i] === '\n' ? '\n' : ' ';
      out += '  ';
      i++;
    } else out += c;
  }
  return out.replace(/,(\s*[}\]])/g, ' $1');
}

// ---------------------------------------------------------------- TOML and YAML

function checkToml(f: ParseFile): ParseProblem[] {
  try {
    parseToml(f.text);
    return [];
  } catch (err) {
    if (err instanceof TomlError) return [{ file: f.file, line: err.line, column: err.column, message: err.message.split('\n')[0] }];
    return [{ file: f.file, message: (err as Error).message }];
  }
}

function checkYaml(f: ParseFile): ParseProblem[] {
  const problems: ParseProblem[] = [];
  for (const doc of parseAllDocuments(f.text)) {
    for (const e of 'errors' in doc ? doc.errors : []) {
      problems.push({ file: f.file, line: e.linePos?.[0].line, column: e.linePos?.[0].col, message: e.message.split('\n')[0] });
    }
  }
  return problems;
}

// ---------------------------------------------------------------- helpers

function run(cmd: string, args: string[], signal?: AbortSignal): Promise<{ stdout: string; stderr: string; error?: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024, signal }, (err, stdout, stderr) => {
      resolve({ stdout: String(stdout), stderr: String(stderr), error: err ? (err as Error).message.split('\n')[0] : undefined });
    });
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a `.js` file is an ES module: the nearest package.json (patched text first) says `"type": "module"`. */
export function moduleTypeResolver(workspace: string, patched: ReadonlyMap<string, string>): (file: string) => Promise<boolean> {
  return async (file) => {
    for (let dir = path.posix.dirname(file); ; dir = path.posix.dirname(dir)) {
      const rel = dir === '.' ? 'package.json' : `${dir}/package.json`;
      const text = patched.get(rel) ?? (await readFile(path.join(workspace, ...rel.split('/')), 'utf8').catch(() => undefined));
      if (text !== undefined) {
        try {
          return (JSON.parse(text) as { type?: string }).type === 'module';
        } catch {
          return false;
        }
      }
      if (dir === '.') return false;
    }
  };
}
