/**
 * Checks a pip requirements file line by line: each non-comment line is a requirement (name,
 * extras, version specifiers or a URL, environment marker, per-requirement options such as
 * `--hash`), a path or URL of a package, or a known pip option (`-r`, `-c`, `-e`, `--index-url`, ...).
 */

export interface RequirementProblem {
  /** 1-based line where the (possibly continued) line starts. */
  line: number;
  message: string;
}

const NAME = String.raw`[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`;
const EXTRAS = String.raw`\[\s*(?:${NAME}(?:\s*,\s*${NAME})*)?\s*\]`;
const VERSION = String.raw`[A-Za-z0-9_.*+!-]+`;
const CLAUSE = String.raw`(?:~=|===|==|!=|<=|>=|<|>)\s*${VERSION}`;
const SPECIFIERS = String.raw`${CLAUSE}(?:\s*,\s*${CLAUSE})*`;
const REQUIREMENT = new RegExp(
  String.raw`^(${NAME})\s*(${EXTRAS})?\s*(?:(?:\(\s*${SPECIFIERS}\s*\)|${SPECIFIERS})|@\s*\S+)?\s*(?:;\s*(.+))?$`,
);
const MARKER_TOKEN = new RegExp(
  String.raw`\s*(?:"[^"]*"|'[^']*'|\(|\)|and\b|or\b|not\s+in\b|in\b|===|==|!=|<=|>=|~=|<|>|[A-Za-z_][A-Za-z0-9_.]*)`,
  'y',
);

/** Options that take a value (the next word or `=value`). */
const VALUE_OPTIONS = new Set([
  '-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-i', '--index-url', '--extra-index-url',
  '-f', '--find-links', '--trusted-host', '--use-feature', '--only-binary', '--no-binary', '--config-settings',
  '--global-option', '--hash',
]);
const FLAG_OPTIONS = new Set(['--no-index', '--pre', '--prefer-binary', '--require-hashes']);
/** Options allowed after a requirement on its line. */
const PER_REQUIREMENT = new Set(['--hash', '--config-settings', '--global-option']);

export function checkRequirements(text: string): RequirementProblem[] {
  const problems: RequirementProblem[] = [];
  const raw = text.split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    const startLine = i + 1;
    let line = raw[i];
    while (/\\$/.test(line) && i + 1 < raw.length) line = line.slice(0, -1) + ' ' + raw[++i];
    const content = line.replace(/(^|\s)#.*$/, '').trim();
    if (!content) continue;
    const problem = checkLine(content);
    if (problem) problems.push({ line: startLine, message: problem });
  }
  return problems;
}

function checkLine(content: string): string | undefined {
  const words = content.split(/\s+/);
  if (words[0].startsWith('-')) return checkOptions(words, false);
  // Per-requirement options start at the first word beginning with "--".
  const at = words.findIndex((w, k) => k > 0 && w.startsWith('--'));
  const req = (at === -1 ? words : words.slice(0, at)).join(' ');
  if (at !== -1) {
    const bad = checkOptions(words.slice(at), true);
    if (bad) return bad;
  }
  if (/^(\.{1,2}\/|\/|[A-Za-z][A-Za-z0-9+.-]*:\/\/)/.test(req)) return undefined; // a path or URL of a package
  const m = REQUIREMENT.exec(req);
  if (!m) return `"${req}" is not a valid requirement (name, [extras], version specifiers such as ">=1.2", "; marker")`;
  if (m[3] !== undefined) return checkMarker(m[3]);
  return undefined;
}

function checkOptions(words: string[], perRequirement: boolean): string | undefined {
  for (let k = 0; k < words.length; k++) {
    const word = words[k];
    const [name, inline] = word.includes('=') && word.startsWith('--') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
    const short = !word.startsWith('--') && word.length > 2 && word.startsWith('-') ? word.slice(0, 2) : undefined;
    const option = short ?? name;
    if (perRequirement && !PER_REQUIREMENT.has(option)) return `"${option}" cannot follow a requirement on its line`;
    if (FLAG_OPTIONS.has(option)) {
      if (inline !== undefined) return `"${option}" takes no value`;
      continue;
    }
    if (!VALUE_OPTIONS.has(option)) return `"${option}" is not a pip requirements option`;
    const value = short ? word.slice(2) : inline ?? words[++k];
    if (!value) return `"${option}" needs a value`;
    if (option === '--hash' && !/^[a-z0-9]+:[0-9a-fA-F]+$/.test(value)) return `"--hash=${value}" is not algorithm:hexdigest`;
  }
  return undefined;
}

function checkMarker(marker: string): string | undefined {
  let depth = 0;
  let at = 0;
  let count = 0;
  const text = marker.trim();
  while (at < text.length) {
    MARKER_TOKEN.lastIndex = at;
    const m = MARKER_TOKEN.exec(text);
    if (!m || m[0].length === 0) return `the environment marker "${text}" cannot be read at "${text.slice(at)}"`;
    const token = m[0].trim();
    if (token === '(') depth++;
    if (token === ')' && --depth < 0) return `the environment marker "${text}" has an unmatched ")"`;
    at = MARKER_TOKEN.lastIndex;
    count++;
  }
  if (depth !== 0) return `the environment marker "${text}" has an unmatched "("`;
  if (count < 3) return `the environment marker "${text}" is not a comparison such as python_version >= "3.8"`;
  return undefined;
}
