import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../files/atomicWrite';
import { Redactor } from '../redact';
import { eventId, parseEvent, PatternIndex, type PatternEvent } from './patterns';
import type { PatternStore } from './store';

/**
 * The patterns file a team reviews and commits (`patterns export FILE`, `patterns import FILE`):
 * JSON lines, a header, then one event per line in the order they happened, so a review reads
 * what was learned and a diff shows what is new. Importing takes each event once (by its id):
 * the same file imported twice, or one exported from a store that had imported it, adds nothing.
 */

export const EXCHANGE_FORMAT = 'smoke-repair-patterns';

export class PatternFileError extends Error {}

export interface PatternFile {
  events: PatternEvent[];
  /** What the events fold into, for the summary a command prints. */
  patterns: number;
  antiPatterns: number;
}

/** Write the store's events to a file (whole or not at all); returns what was written. */
export async function exportPatterns(store: PatternStore, file: string): Promise<PatternFile> {
  // Learned events are redacted when learned; the edit and the example diff, the parts that hold code, once more on their way out.
  const events = (await store.exportEvents()).map((e): PatternEvent =>
    e.kind === 'attempt' ? { ...e, id: eventId(e), edit: Redactor.patterns.value(e.edit), ...(e.example ? { example: Redactor.patterns.text(e.example) } : {}) } : { ...e, id: eventId(e) },
  );
  const index = new PatternIndex();
  for (const e of events) index.add(e);
  const header = { format: EXCHANGE_FORMAT, version: 1, events: events.length, patterns: index.patterns.size, antiPatterns: index.antiPatterns.size };
  await writeFileAtomic(file, [header, ...events].map((x) => JSON.stringify(x)).join('\n') + '\n');
  return { events, patterns: index.patterns.size, antiPatterns: index.antiPatterns.size };
}

/** Read a patterns file; any line that is not an event is an error naming FILE:LINE, and nothing is taken. */
export async function readPatternFile(file: string): Promise<PatternFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PatternFileError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const lines = text.split('\n');
  const events: PatternEvent[] = [];
  let header = false;
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const where = `${file}:${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new PatternFileError(`${where}: not a JSON line (${(err as Error).message}); a patterns file has one JSON object per line, as \`patterns export\` writes it`);
    }
    if (!header) {
      const h = raw as { format?: unknown; version?: unknown };
      if (h?.format !== EXCHANGE_FORMAT) throw new PatternFileError(`${where}: not a patterns file (its first line must be the header \`patterns export\` writes, with "format": "${EXCHANGE_FORMAT}")`);
      if (h.version !== 1) throw new PatternFileError(`${where}: patterns file version ${JSON.stringify(h.version)}; this version reads version 1`);
      header = true;
      continue;
    }
    const parsed = parseEvent(raw);
    if (!parsed.ok) throw new PatternFileError(`${where}: not a pattern event: ${parsed.error}`);
    events.push(parsed.event);
  }
  if (!header) throw new PatternFileError(`${file}: empty; a patterns file starts with the header \`patterns export\` writes`);
  const index = new PatternIndex();
  for (const e of events) index.add(e);
  return { events, patterns: index.patterns.size, antiPatterns: index.antiPatterns.size };
}

/** Import a patterns file into a store: all of it or, on an error, nothing. */
export async function importPatterns(store: PatternStore, file: string): Promise<PatternFile & { added: number; skipped: number }> {
  const read = await readPatternFile(file);
  const { added, skipped } = await store.importEvents(read.events);
  return { ...read, added, skipped };
}
