/**
 * What a planted fault is: the app, the kind, where (file and line), and the exact edit, so a
 * fault can be planted again by hand and its record read without the operator that made it.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { diffLines } from 'diff';
import type { FieldManifest } from '../../test/setup/field';
import { languageOf, lineOf, sourceFile, type SourceFile } from './source';

export const KINDS = ['remove-import', 'drop-dependency', 'unused-missing-import', 'remove-mount', 'status-code', 'route-path', 'anti-pattern'] as const;
export type FaultKind = (typeof KINDS)[number];

export const KIND_TITLES: Record<FaultKind, string> = {
  'remove-import': 'import a handler uses removed',
  'drop-dependency': 'imported dependency dropped from the manifest',
  'unused-missing-import': 'unused import of a module not installed',
  'remove-mount': 'router / blueprint / app.use line removed',
  'status-code': 'success status code changed',
  'route-path': 'literal route segment changed',
  'anti-pattern': 'catalogued anti-pattern planted',
};

/** One replacement in one file: `removed` (at `offset` of the file as it was) becomes `inserted`. */
export interface Edit {
  file: string;
  /** 1-based line where the replaced text starts. */
  line: number;
  offset: number;
  removed: string;
  inserted: string;
}

export interface Fault {
  /** Unique within a run: app, kind, file, line and a short variant. */
  id: string;
  app: string;
  framework: FieldManifest['framework'];
  language: FieldManifest['language'];
  kind: FaultKind;
  /** Which form of the kind (`from-import`, `in-handler`, `mount`, a catalog entry id, ...). */
  variant: string;
  file: string;
  line: number;
  /** In words: `remove select from "from sqlmodel import select"`. */
  summary: string;
  edits: Edit[];
  /** Files a violation may be located in for the fault to count as located (default: `file`; a dropped dependency: the manifest or a file importing it). */
  locatedIn?: string[];
  /** Where the fault can be seen: as a process, or only in Docker (an image built from the changed manifest). */
  runtime: 'process' | 'docker';
  /** Whether a rule or catalog entry of the product is meant to fix it (else it is reported, and counted apart). */
  ruleFixable: boolean;
  note?: string;
}

/** The app's files as the operators read them. */
export interface AppSources {
  app: FieldManifest;
  dir: string;
  /** Every file (workspace-relative), for manifests. */
  files: string[];
  sources: SourceFile[];
  read(file: string): string;
}

const SKIP_DIRS = new Set(['node_modules', '__pycache__', '.smoke-repair', '.data', '.git', '.venv', 'venv']);

export function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    if (SKIP_DIRS.has(name)) continue;
    const r = rel ? `${rel}/${name}` : name;
    const st = statSync(path.join(dir, r), { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) out.push(...listFiles(dir, r));
    else if (st.isFile()) out.push(r);
  }
  return out;
}

export function loadApp(app: FieldManifest, dir: string): AppSources {
  const files = listFiles(dir).filter((f) => f !== 'field.json');
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  const pkg = existsSync(path.join(dir, 'package.json')) ? (JSON.parse(read('package.json')) as { type?: string }) : {};
  const sources: SourceFile[] = [];
  for (const f of files) {
    const text = read(f);
    const lang = languageOf(f, text);
    if (lang && (lang === 'python') === (app.language === 'python')) sources.push(sourceFile(f, text, lang, pkg.type === 'module'));
  }
  return { app, dir, files, sources, read };
}

/** An edit of `src` replacing [start, end) with `inserted`. */
export function edit(src: Pick<SourceFile, 'file' | 'text' | 'starts'>, start: number, end: number, inserted: string): Edit {
  return { file: src.file, line: lineOf(src, start) + 1, offset: start, removed: src.text.slice(start, end), inserted };
}

/** Whole lines from the line holding `start` through the line holding `end - 1`, newline included. */
export function wholeLines(text: string, start: number, end: number): [number, number] {
  const a = text.lastIndexOf('\n', start - 1) + 1;
  const nl = text.indexOf('\n', Math.max(start, end - 1));
  return [a, nl < 0 ? text.length : nl + 1];
}

/** The edits that turn `before` into `after` (one per changed run of lines). */
export function editsBetween(file: string, before: string, after: string): Edit[] {
  const out: Edit[] = [];
  let offset = 0;
  let line = 1;
  let pending: Edit | undefined;
  for (const part of diffLines(before, after)) {
    const lines = part.count ?? part.value.split('\n').length - 1;
    if (!part.added && !part.removed) {
      if (pending) out.push(pending);
      pending = undefined;
      offset += part.value.length;
      line += lines;
      continue;
    }
    pending ??= { file, line, offset, removed: '', inserted: '' };
    if (part.removed) {
      pending.removed += part.value;
      offset += part.value.length;
      line += lines;
    } else pending.inserted += part.value;
  }
  if (pending) out.push(pending);
  return out;
}

/** Plant a fault's edits in a copy of its app. Throws when a file is not as the fault was made against. */
export function applyEdits(dir: string, edits: Edit[]): void {
  const byFile = new Map<string, Edit[]>();
  for (const e of edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, list] of byFile) {
    const abs = path.join(dir, file);
    let text = readFileSync(abs, 'utf8');
    for (const e of [...list].sort((a, b) => b.offset - a.offset)) {
      if (text.slice(e.offset, e.offset + e.removed.length) !== e.removed) {
        throw new Error(`${file}:${e.line}: the text to replace is not there (${JSON.stringify(e.removed.slice(0, 60))})`);
      }
      text = text.slice(0, e.offset) + e.inserted + text.slice(e.offset + e.removed.length);
    }
    writeFileSync(abs, text);
  }
}

/** One line of an edit for people: `-from sqlmodel import select` / `+...`. */
export function describeEdit(e: Edit): string {
  const show = (s: string, sign: string) =>
    s
      .replace(/\n$/, '')
      .split('\n')
      .slice(0, 4)
      .map((l) => `${sign}${l}`)
      .join('\n');
  return [e.removed && show(e.removed, '-'), e.inserted && show(e.inserted, '+')].filter(Boolean).join('\n');
}
