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
const DEFAULT_MESSAGE = String.raw`POST /carts/\{cart_id\}/items → 500 \(expected 201\): KeyError: 'price'`;
/** The fault the tests look for: the one the product's documentation uses. */
const FAULT_SIGNAL = /KeyError:\s*'price'/;
const FILE_LINE = /([\w./-]+\.(?:py|js|ts)):(\d+)/;

export function expectationFor(workspace: string, timeoutMs: number): Expectation {
  const faults = path.join(workspace, 'FAULTS.md');
  let file = DEFAULT_FILE;
  let line: number | undefined;
  if (existsSync(faults)) {
    const row = readFileSync(faults, 'utf8')
      .split('\n')
      .find((l) => FAULT_SIGNAL.test(l) && FILE_LINE.test(l));
    const m = row ? FILE_LINE.exec(row) : null;
    if (m) {
      file = m[1]!.replace(/^\.\//, '');
      line = Number(m[2]);
    }
  }
  return Expectation.parse({ file, line, message: DEFAULT_MESSAGE, timeoutMs });
}

/** Parses the expectation handed to the extension host; a clear error names what is wrong. */
export function parseExpectation(raw: string | undefined): Expectation {
  if (!raw) throw new Error(`${EXPECTATION_ENV} is not set; expected JSON {file, line?, message, timeoutMs}`);
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
