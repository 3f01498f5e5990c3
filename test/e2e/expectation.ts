/**
 * What the end-to-end tests expect to see after a smoke run on the example workspace: the file,
 * line and message of one seeded fault's diagnostic. Read from the example's FAULTS.md when it
 * names the fault, else the documented example.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const Expectation = z.object({
  /** Workspace-relative path of the file the diagnostic is on. */
  file: z.string().min(1),
  /** 1-based line of the diagnostic, when the fault list names it. */
  line: z.number().int().positive().optional(),
  /** Regular expression (source) the diagnostic's message must match. */
  message: z.string().min(1),
  /** How long the tests wait for the diagnostic to appear. */
  timeoutMs: z.number().int().positive(),
  /** The diagnostic's code: the exception class, shown as the link to the failure report. */
  code: z.string().min(1),
  /** Name of the scenario that fails with this fault (its Test Explorer item). */
  scenario: z.string().min(1),
  /** Every scenario with its expected outcome before any repair, when the fault list tables them. */
  scenarios: z.array(z.object({ name: z.string().min(1), passed: z.boolean() })).optional(),
});
export type Expectation = z.infer<typeof Expectation>;

/** The environment variable that carries the expectation into the extension host. */
export const EXPECTATION_ENV = 'SMOKE_REPAIR_E2E_EXPECT';

/**
 * Screenshot hand-shake between the suite and the harness: the suite logs SNAPSHOT_REQUEST (with
 * "passed" or "failed") while its results are on screen, and waits for the harness to create the
 * file named by SNAPSHOT_ENV once the screenshot is taken.
 */
export const SNAPSHOT_ENV = 'SMOKE_REPAIR_E2E_SNAPSHOT_ACK';
export const SNAPSHOT_REQUEST = '[e2e suite] screenshot requested:';

const DEFAULT_FILE = 'app/routers/carts.py';
const DEFAULT_SCENARIO = 'add item';
const DEFAULT_CODE = 'KeyError';
const DEFAULT_MESSAGE = String.raw`POST /carts/\{cart_id\}/items → 500 \(expected 201\): KeyError: 'price'`;
/** The fault the tests look for: the one the product's documentation uses. */
const FAULT_SIGNAL = /KeyError:\s*'price'/;
const FILE_LINE = /([\w./-]+\.(?:py|js|ts)):(\d+)/;

export function expectationFor(workspace: string, timeoutMs: number): Expectation {
  const faults = path.join(workspace, 'FAULTS.md');
  let file = DEFAULT_FILE;
  let line: number | undefined;
  let scenario = DEFAULT_SCENARIO;
  let scenarios: { name: string; passed: boolean }[] | undefined;
  if (existsSync(faults)) {
    const text = readFileSync(faults, 'utf8');
    const row = text.split('\n').find((l) => FAULT_SIGNAL.test(l) && FILE_LINE.test(l));
    const m = row ? FILE_LINE.exec(row) : null;
    if (m) {
      file = m[1]!.replace(/^\.\//, '');
      line = Number(m[2]);
    }
    const tables = markdownTables(text);
    const faultTable = tables.find((t) => t.header.some((h) => /failing scenario/i.test(h)));
    if (faultTable) {
      const col = faultTable.header.findIndex((h) => /failing scenario/i.test(h));
      const cell = faultTable.rows.find((r) => r.some((c) => FAULT_SIGNAL.test(c)))?.[col];
      const first = cell?.split(',')[0]?.trim();
      if (first) scenario = first;
    }
    const outcomes = tables.find((t) => /^scenario$/i.test(t.header[0] ?? '') && t.header.some((h) => /before repair/i.test(h)));
    if (outcomes) {
      const col = outcomes.header.findIndex((h) => /before repair/i.test(h));
      scenarios = outcomes.rows
        .filter((r) => r[0] && /\b(pass|fail)\b/i.test(r[col] ?? ''))
        .map((r) => ({ name: r[0]!, passed: /\bpass\b/i.test(r[col]!) && !/\bfail\b/i.test(r[col]!) }));
      if (scenarios.length === 0) scenarios = undefined;
    }
  }
  return Expectation.parse({ file, line, message: DEFAULT_MESSAGE, code: DEFAULT_CODE, timeoutMs, scenario, scenarios });
}

/** One seeded fault as FAULTS.md tables it: where it sits and the scenario that fails with it. */
export interface FaultRow {
  file: string;
  line: number;
  scenario: string;
  /** The "right fix (category)" cell, as written. */
  fix: string;
}

/**
 * The row of `FAULTS.md` in `workspace` whose text matches `signal` (e.g. /NameError: name 'uuid'/).
 * Throws naming the file when there is no such row or it lacks a file:line or a failing scenario.
 */
export function faultFor(workspace: string, signal: RegExp): FaultRow {
  const faults = path.join(workspace, 'FAULTS.md');
  if (!existsSync(faults)) throw new Error(`${faults}: not found; expected the example's fault list`);
  const table = markdownTables(readFileSync(faults, 'utf8')).find((t) => t.header.some((h) => /failing scenario/i.test(h)));
  if (!table) throw new Error(`${faults}: no table with a "failing scenario" column`);
  const row = table.rows.find((r) => r.some((c) => signal.test(c)));
  if (!row) throw new Error(`${faults}: no fault row matches /${signal.source}/`);
  const at = row.map((c) => FILE_LINE.exec(c)).find((m) => m !== null);
  const scenario = row[table.header.findIndex((h) => /failing scenario/i.test(h))]?.split(',')[0]?.trim();
  if (!at || !scenario) throw new Error(`${faults}: the row for /${signal.source}/ lacks a file:line or a failing scenario`);
  const fixCol = table.header.findIndex((h) => /right fix/i.test(h));
  return { file: at[1]!.replace(/^\.\//, ''), line: Number(at[2]), scenario, fix: fixCol >= 0 ? (row[fixCol] ?? '') : '' };
}

interface MarkdownTable {
  header: string[];
  rows: string[][];
}

/** The pipe tables of a Markdown text: header cells and body rows, cells trimmed, code ticks removed. */
export function markdownTables(text: string): MarkdownTable[] {
  const cells = (l: string) =>
    l
      .trim()
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split('|')
      .map((c) => c.trim().replace(/^`(.*)`$/, '$1'));
  const tables: MarkdownTable[] = [];
  let block: string[] = [];
  const flush = () => {
    if (block.length >= 2 && /^\|?\s*:?-+:?\s*(\||$)/.test(block[1]!.trim())) {
      tables.push({ header: cells(block[0]!), rows: block.slice(2).map(cells) });
    }
    block = [];
  };
  for (const l of text.split('\n')) {
    if (l.trim().startsWith('|')) block.push(l);
    else flush();
  }
  flush();
  return tables;
}

/** Parses the expectation handed to the extension host; a clear error names what is wrong. */
export function parseExpectation(raw: string | undefined): Expectation {
  if (!raw) throw new Error(`${EXPECTATION_ENV} is not set; expected JSON {file, line?, message, code, timeoutMs, scenario, scenarios?}`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${EXPECTATION_ENV}: not JSON (${(err as Error).message})`);
  }
  const r = Expectation.safeParse(json);
  if (!r.success) throw new Error(`${EXPECTATION_ENV}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}
