import { normalizePythonName, PYTHON_NAME } from './names';
import { detectEol, ManifestEditError, splitLines } from './text';

/**
 * requirements.txt (pip's format): read the requirements it declares and edit one line at a
 * time. Comments, blank lines, options (`-r`, `-c`, `-e`, `--index-url`), per-line `--hash`
 * options, extras, environment markers and `\` continuations are kept byte for byte.
 */

export interface Requirement {
  /** The name as written. */
  name: string;
  /** PEP 503 normalised. */
  key: string;
  /** 1-based first and last physical line of the logical line. */
  line: number;
  endLine: number;
  /** Version specifier as written (`==1.2`, `>=2,<3`), '' for none; undefined for a direct reference (`name @ url`). */
  specifier: string | undefined;
}

export interface RequirementsFile {
  requirements: Requirement[];
  /** `-r file` / `-c file` / `--requirement file` includes, as written, with their line. */
  includes: Array<{ kind: 'requirement' | 'constraint'; path: string; line: number }>;
}

/** One logical line: physical lines joined at trailing backslashes, comment stripped. */
interface LogicalLine {
  text: string;
  line: number;
  endLine: number;
}

function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const lines = splitLines(text);
  let buf = '';
  let first = -1;
  lines.forEach((l, i) => {
    if (first < 0) first = i;
    const continued = /(^|[^\\])\\$/.test(l.text);
    buf += continued ? l.text.slice(0, -1) : l.text;
    if (!continued || i === lines.length - 1) {
      out.push({ text: stripComment(buf), line: first + 1, endLine: i + 1 });
      buf = '';
      first = -1;
    }
  });
  return out;
}

/** pip: a `#` at the start or after whitespace starts a comment. */
function stripComment(s: string): string {
  const m = /(^|\s)#/.exec(s);
  return (m ? s.slice(0, m.index) : s).trim();
}

const REQUIREMENT = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$/;

export function parseRequirements(text: string): RequirementsFile {
  const result: RequirementsFile = { requirements: [], includes: [] };
  for (const l of logicalLines(text)) {
    if (!l.text) continue;
    const inc = /^(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)/.exec(l.text);
    if (inc) {
      result.includes.push({ kind: inc[1].includes('c') ? 'constraint' : 'requirement', path: inc[2], line: l.line });
      continue;
    }
    if (l.text.startsWith('-')) {
      const egg = /#egg=([A-Za-z0-9._-]+)/.exec(l.text);
      if (egg) result.requirements.push({ name: egg[1], key: normalizePythonName(egg[1]), line: l.line, endLine: l.endLine, specifier: undefined });
      continue;
    }
    const m = REQUIREMENT.exec(l.text);
    if (!m) continue;
    let rest = m[3].split(';')[0];
    rest = rest.replace(/\s--?\S.*$/, '').replace(/^--?\S.*$/, '').trim();
    const direct = rest.startsWith('@');
    result.requirements.push({ name: m[1], key: normalizePythonName(m[1]), line: l.line, endLine: l.endLine, specifier: direct ? undefined : rest.replace(/\s+/g, '') });
  }
  return result;
}

/** A PEP 440 specifier set (`==1.2.3`, `>=2,<3`, `~=1.4`); a bare version means `==version`. */
export function pythonSpecifier(version: string | undefined): string {
  if (version === undefined || version.trim() === '' || version.trim() === '*') return '';
  const v = version.trim();
  const clause = /^(===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+$/;
  if (/^[0-9][A-Za-z0-9.+!_-]*$/.test(v)) return `==${v}`;
  const clauses = v.split(',').map((c) => c.trim());
  if (clauses.every((c) => clause.test(c))) return clauses.join(',');
  throw new ManifestEditError(`"${version}" is not a Python version specifier (expected e.g. "==1.2.3", ">=2,<3" or "1.2.3")`);
}

export function findRequirement(text: string, name: string): Requirement | undefined {
  const key = normalizePythonName(name);
  return parseRequirements(text).requirements.find((r) => r.key === key);
}

/**
 * Appends `name<spec>` on a line of its own at the end. The file's line ending is used; a file
 * that ends with a newline still does, and one that does not still does not (the new line then
 * follows a newline and has none itself). An empty file becomes one line with a newline.
 */
export function addRequirement(text: string, name: string, version?: string): string {
  if (!PYTHON_NAME.test(name)) throw new ManifestEditError(`"${name}" is not a valid Python distribution name`);
  const spec = pythonSpecifier(version);
  const existing = findRequirement(text, name);
  if (existing) throw new ManifestEditError(`"${existing.name}" is already required`, existing.line);
  const lines = splitLines(text);
  const last = lines[lines.length - 1];
  if (last && /(^|[^\\])\\$/.test(last.text)) throw new ManifestEditError('the file ends inside a "\\" line continuation', lines.length);
  const eol = detectEol(text);
  const entry = `${name}${spec}`;
  if (text === '') return entry + eol;
  return last.eol ? `${text}${entry}${last.eol}` : `${text}${eol}${entry}`;
}

/**
 * Replaces the version specifier of `name`'s requirement line, keeping its extras, markers,
 * options and comment. The specifier must sit on the requirement's first physical line.
 */
export function pinRequirement(text: string, name: string, version: string): string {
  const spec = pythonSpecifier(version);
  if (!spec) throw new ManifestEditError(`pin "${name}": a version is required`);
  const req = findRequirement(text, name);
  if (!req) throw new ManifestEditError(`"${name}" is not required in this file`);
  if (req.specifier === undefined) throw new ManifestEditError(`"${req.name}" is a direct reference (name @ url or an editable install); it cannot be pinned to a version`, req.line);
  const line = splitLines(text)[req.line - 1];
  const m = /^(\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\])?)([^;#\\]*?)(\s*(?:[;#\\].*|\s--?\S.*)?)$/.exec(line.text);
  if (!m) throw new ManifestEditError(`cannot find the version specifier of "${req.name}"`, req.line);
  const [, head, oldSpec, tail] = m;
  if (oldSpec.replace(/\s+/g, '') !== req.specifier) throw new ManifestEditError(`the specifier of "${req.name}" continues on the next line; pin it by hand`, req.line);
  const newLine = head + spec + tail;
  return text.slice(0, line.start) + newLine + text.slice(line.start + line.text.length);
}
