import createDockerIgnore from '@balena/dockerignore';
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';

/**
 * A Docker build context as a tar stream: the files of a folder that `.dockerignore` lets through,
 * with some of them replaced by other files (a patched copy) or added. Entries are sorted and carry
 * a fixed time, so the same tree gives the same bytes. Symbolic links stay links.
 */

export interface ContextEntry {
  /** Context-relative, forward slashes. */
  name: string;
  kind: 'file' | 'dir' | 'symlink';
  /** Host path the bytes come from (files) or the link target (symlinks). */
  source: string;
  mode: number;
}

/** Context-relative path → host file whose bytes stand in for it (replaced or added). */
export type ContextOverrides = ReadonlyMap<string, string>;

/** Every entry the build would see, sorted by name. */
export async function listBuildContext(context: string, overrides: ContextOverrides = new Map(), dockerfile = 'Dockerfile'): Promise<ContextEntry[]> {
  const ignoreFile = overrides.get('.dockerignore') ?? path.join(context, '.dockerignore');
  const ignoreText = await readFile(ignoreFile, 'utf8').catch(() => '');
  const ig = createDockerIgnore({ ignorecase: false }).add(ignoreText);
  const hasExceptions = /^\s*!/m.test(ignoreText);
  const kept = (rel: string) => rel === dockerfile || rel === '.dockerignore' || !ig.ignores(rel);

  const entries = new Map<string, ContextEntry>();
  async function walk(dir: string, rel: string): Promise<void> {
    let items: Dirent[];
    try {
      items = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const item of items) {
      const name = rel ? `${rel}/${item.name}` : item.name;
      const full = path.join(dir, item.name);
      if (item.isDirectory()) {
        const keep = kept(name);
        if (keep) entries.set(name, { name, kind: 'dir', source: full, mode: 0o755 });
        if (keep || hasExceptions) await walk(full, name);
      } else if (kept(name)) {
        if (item.isSymbolicLink()) entries.set(name, { name, kind: 'symlink', source: await readlink(full), mode: 0o777 });
        else if (item.isFile()) entries.set(name, { name, kind: 'file', source: full, mode: (await lstat(full)).mode & 0o777 });
      }
    }
  }
  await walk(context, '');

  for (const [name, source] of overrides) {
    const existing = entries.get(name);
    if (!existing && !kept(name)) continue;
    const mode = existing?.kind === 'file' ? existing.mode : 0o644;
    entries.set(name, { name, kind: 'file', source, mode });
    // Folders of an added file.
    for (let dir = path.posix.dirname(name); dir !== '.'; dir = path.posix.dirname(dir)) {
      if (!entries.has(dir)) entries.set(dir, { name: dir, kind: 'dir', source: '', mode: 0o755 });
    }
  }
  return [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The build context as an uncompressed tar stream. */
export function packBuildContext(context: string, overrides: ContextOverrides = new Map(), dockerfile = 'Dockerfile'): Readable {
  return Readable.from(tarChunks(context, overrides, dockerfile));
}

async function* tarChunks(context: string, overrides: ContextOverrides, dockerfile: string): AsyncGenerator<Buffer> {
  for (const entry of await listBuildContext(context, overrides, dockerfile)) {
    if (entry.kind === 'file') {
      const data = await readFile(entry.source);
      yield* headers(entry.name, data.length, entry.mode, '0');
      yield data;
      const pad = (512 - (data.length % 512)) % 512;
      if (pad) yield Buffer.alloc(pad);
    } else if (entry.kind === 'dir') {
      yield* headers(entry.name + '/', 0, entry.mode, '5');
    } else {
      yield* headers(entry.name, 0, entry.mode, '2', entry.source);
    }
  }
  yield Buffer.alloc(1024);
}

/** The ustar header of one entry, preceded by a PAX header when a name does not fit. */
function* headers(name: string, size: number, mode: number, type: '0' | '2' | '5', link = ''): Generator<Buffer> {
  let split = splitName(name);
  const longLink = Buffer.byteLength(link) > 100;
  if (!split || longLink) {
    const records = [!split ? paxRecord('path', name) : '', longLink ? paxRecord('linkpath', link) : ''].join('');
    const body = Buffer.from(records, 'utf8');
    yield header({ prefix: '', name: 'PaxHeader' }, body.length, 0o644, 'x', '');
    yield body;
    const pad = (512 - (body.length % 512)) % 512;
    if (pad) yield Buffer.alloc(pad);
    split ??= { prefix: '', name: name.slice(-100) };
  }
  yield header(split, size, mode, type, longLink ? '' : link);
}

function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(rest) + 1;
  while (String(len).length + Buffer.byteLength(rest) !== len) len = String(len).length + Buffer.byteLength(rest);
  return `${len}${rest}`;
}

function splitName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let at = name.indexOf('/'); at !== -1; at = name.indexOf('/', at + 1)) {
    const prefix = name.slice(0, at);
    const rest = name.slice(at + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest) return { prefix, name: rest };
  }
  return undefined;
}

function header(n: { prefix: string; name: string }, size: number, mode: number, type: string, link: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(n.name, 0, 100, 'utf8');
  h.write(octal(mode, 7), 100, 8, 'ascii');
  h.write(octal(0, 7), 108, 8, 'ascii');
  h.write(octal(0, 7), 116, 8, 'ascii');
  h.write(octal(size, 11), 124, 12, 'ascii');
  h.write(octal(0, 11), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write(type, 156, 1, 'ascii');
  h.write(link, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.write(n.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 6) + '\u0000 ', 148, 8, 'ascii');
  return h;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width, '0') + '\u0000';
}
