import { matchBracket, skipString, type SourceLanguage } from './syntax';

/**
 * String values a module binds where a reader can see them without running it: constants
 * (`API_PREFIX = "/api/v1"`, `const API = '/api'`), string attributes of a settings class
 * (`API_V1_STR: str = "/api/v1"`) and of object literals (`const MOUNTS = { users: '/people' }`,
 * `module.exports = { prefix: '/v2' }`), and which variables hold an instance of which class
 * (`settings = Settings()`). Mount paths and prefixes are often written through them.
 */

export interface ModuleValues {
  /** name → string value (module-level constants). */
  strings: Map<string, string>;
  /** object or class name → attribute → string value. */
  objects: Map<string, Map<string, string>>;
  /** variable → the class it is an instance of (`settings` → `Settings`). */
  instances: Map<string, string>;
}

export function scanValues(text: string, lang: SourceLanguage): ModuleValues {
  const values: ModuleValues = { strings: new Map(), objects: new Map(), instances: new Map() };
  if (lang === 'python') scanPython(text, values);
  else scanJs(text, values);
  return values;
}

function scanPython(text: string, values: ModuleValues): void {
  for (const m of text.matchAll(/^([A-Za-z_]\w*)[ \t]*(?::[ \t]*[\w.[\], ]+)?[ \t]*=[ \t]*(?=[rRuU]?["'])/gm)) {
    const lit = stringAt(text, m.index + m[0].length, 'python');
    if (lit !== undefined) values.strings.set(m[1]!, lit);
  }
  for (const m of text.matchAll(/^([A-Za-z_]\w*)[ \t]*=[ \t]*([A-Z]\w*)[ \t]*\(/gm)) values.instances.set(m[1]!, m[2]!);
  // Class attributes: `class Settings(BaseSettings):` then `    NAME: str = "..."` one level in.
  for (const m of text.matchAll(/^class[ \t]+([A-Za-z_]\w*)[^\n]*:[ \t]*\r?\n/gm)) {
    const attrs = new Map<string, string>();
    const body = text.slice(m.index + m[0].length);
    const indent = /^([ \t]+)\S/m.exec(body)?.[1];
    if (!indent) continue;
    for (const line of body.split('\n')) {
      if (/^\s*(#.*)?\r?$/.test(line)) continue;
      if (!line.startsWith(indent)) break;
      const a = new RegExp(`^${indent}([A-Za-z_]\\w*)[ \\t]*(?::[^=\\n]*)?=[ \\t]*(?=[rRuU]?["'])`).exec(line);
      if (!a) continue;
      const lit = stringAt(line, a[0].length, 'python');
      if (lit !== undefined) attrs.set(a[1]!, lit);
    }
    if (attrs.size > 0) values.objects.set(m[1]!, attrs);
  }
}

function scanJs(text: string, values: ModuleValues): void {
  for (const m of text.matchAll(/\b(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?=["'`])/g)) {
    const lit = stringAt(text, m.index + m[0].length, 'js');
    if (lit !== undefined) values.strings.set(m[1]!, lit);
  }
  for (const m of text.matchAll(/\b(?:(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)|(module\.exports))\s*=\s*\{/g)) {
    const open = m.index + m[0].length - 1;
    const close = matchBracket(text, open, 'js');
    if (close < 0) continue;
    const attrs = new Map<string, string>();
    for (const p of text.slice(open + 1, close).matchAll(/(?:^|,)\s*(?:([A-Za-z_$][\w$]*)|(["'])([^"'\n]+)\2)\s*:\s*(?=["'`])/g)) {
      const lit = stringAt(text, open + 1 + p.index + p[0].length, 'js');
      if (lit !== undefined) attrs.set(p[1] ?? p[3]!, lit);
    }
    if (attrs.size > 0) values.objects.set(m[1] ?? 'module.exports', attrs);
  }
  for (const m of text.matchAll(/^(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=\s*(?=["'`])/gm)) {
    const lit = stringAt(text, m.index + m[0].length, 'js');
    if (lit === undefined) continue;
    if (!values.objects.has('module.exports')) values.objects.set('module.exports', new Map());
    values.objects.get('module.exports')!.set(m[1]!, lit);
  }
}

/** The content of a plain string literal starting at `at` (no interpolation, no escapes), else undefined. */
function stringAt(text: string, at: number, lang: SourceLanguage): string | undefined {
  let i = at;
  if (lang === 'python') while (/[rRuU]/.test(text[i] ?? '') && /["']/.test(text[i + 1] ?? '')) i++;
  const q = text[i];
  if (q !== '"' && q !== "'" && !(lang === 'js' && q === '`')) return undefined;
  if (lang === 'python' && text.startsWith(q.repeat(3), i)) return undefined;
  const end = skipString(text, i, lang);
  if (end < 0) return undefined;
  const content = text.slice(i + 1, end - 1);
  if (content.includes('\\') || (q === '`' && content.includes('${'))) return undefined;
  return content;
}

/** The content of an expression that is exactly one plain string literal, else undefined. */
export function plainString(expr: string, lang: SourceLanguage): string | undefined {
  const e = expr.trim();
  const q = e.search(/["'`]/);
  if (q < 0 || q > 2 || (q > 0 && !(lang === 'python' && /^[rRuU]+$/.test(e.slice(0, q))))) return undefined;
  if (skipString(e, q, lang) !== e.length) return undefined;
  return stringAt(e, 0, lang);
}

/**
 * The value of an expression built from strings: literals, names, `a.b` attributes, `+`
 * concatenation, f-strings and template literals whose holes are such names. `lookup` answers a
 * (possibly dotted) name; undefined when any part is unknown.
 */
export function evaluateString(expr: string, lang: SourceLanguage, lookup: (name: string) => string | undefined): string | undefined {
  const e = expr.trim();
  if (!e) return undefined;
  const parts = splitTopLevel(e, '+', lang);
  if (parts.length > 1) {
    let out = '';
    for (const p of parts) {
      const v = evaluateString(p, lang, lookup);
      if (v === undefined) return undefined;
      out += v;
    }
    return out;
  }
  if (/^\(.*\)$/s.test(e) && matchBracket(e, 0, lang) === e.length - 1) return evaluateString(e.slice(1, -1), lang, lookup);
  const plain = plainString(e, lang);
  if (plain !== undefined) return plain;
  const interpolated = lang === 'js' ? /^`([^`\\]*)`$/s.exec(e) : /^[fF][rR]?(["'])(.*)\1$/s.exec(e);
  if (interpolated) {
    const body = lang === 'js' ? interpolated[1]! : interpolated[2]!;
    const hole = lang === 'js' ? /\$\{([^}]*)\}/g : /\{([^{}]*)\}/g;
    let failed = false;
    const out = body.replace(hole, (_, name: string) => {
      const v = /^[A-Za-z_$][\w$.]*$/.test(name.trim()) ? lookup(name.trim()) : undefined;
      if (v === undefined) failed = true;
      return v ?? '';
    });
    return failed ? undefined : out;
  }
  const member = /^([A-Za-z_$][\w$]*)\s*\[\s*(["'])([^"']+)\2\s*\]$/.exec(e);
  if (member) return lookup(`${member[1]}.${member[3]}`);
  if (/^[A-Za-z_$][\w$]*(\s*\.\s*[A-Za-z_$][\w$]*)*$/.test(e)) return lookup(e.replace(/\s+/g, ''));
  return undefined;
}

/** Split at a character that is outside brackets and strings. */
export function splitTopLevel(text: string, sep: string, lang: SourceLanguage): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'" || (c === '`' && lang === 'js')) {
      const end = skipString(text, i, lang);
      if (end < 0) return [text];
      i = end - 1;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && c === sep) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}
