import type { Scenario } from '../model';
import type { SmokeConfig } from '../config/schema';
import { placeholdersOf } from './variables';

/**
 * Scenarios from the workspace file: stable ids, chains and their order. A scenario that uses a
 * `{var}` saved by an earlier one joins that one's chain, so a flow needs no hand-written `chain:`.
 */

export function slug(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s || 'scenario';
}

/** Hands out ids from names: `create-cart`, then `create-cart-2`, ... */
export class IdAllocator {
  private used = new Set<string>();
  constructor(taken: Iterable<string> = []) {
    for (const t of taken) this.used.add(t);
  }
  next(name: string): string {
    const base = slug(name);
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}-${n}`;
    this.used.add(id);
    return id;
  }
}

/**
 * Turn the configuration's scenarios into engine scenarios. `file` is the path reported in
 * `source` (workspace-relative for diagnostics); `lines` the line of each entry (from loadConfig).
 */
export function scenariosFromConfig(config: Pick<SmokeConfig, 'scenarios'>, file: string, lines: number[], ids = new IdAllocator()): Scenario[] {
  const out: Scenario[] = config.scenarios.map((c, i) => {
    const status = c.expect.status;
    return {
      id: ids.next(c.name),
      name: c.name,
      request: {
        method: c.request.method,
        path: c.request.path,
        ...(c.request.headers ? { headers: c.request.headers } : {}),
        ...(c.request.query ? { query: c.request.query } : {}),
        ...(c.request.body !== undefined ? { body: c.request.body } : {}),
      },
      expectStatus: Array.isArray(status) ? status : [status],
      ...(c.expect.json ? { expectJson: c.expect.json } : {}),
      ...(c.save ? { save: c.save } : {}),
      ...(c.chain ? { chain: c.chain } : {}),
      order: 0,
      source: { kind: 'file', file, line: lines[i] ?? 1 },
    };
  });
  linkChains(out);
  return out;
}

/**
 * Give unchained scenarios that use a saved variable the chain of the scenario that saves it,
 * then number the steps of every chain in list order.
 */
export function linkChains(scenarios: Scenario[]): void {
  const savedBy = new Map<string, Scenario>();
  for (const s of scenarios) {
    if (!s.chain) {
      for (const name of placeholdersOf(s.request)) {
        const saver = savedBy.get(name);
        if (!saver) continue;
        saver.chain ??= `flow:${saver.id}`;
        s.chain = saver.chain;
        break;
      }
    }
    for (const name of Object.keys(s.save ?? {})) savedBy.set(name, s);
  }
  const next = new Map<string, number>();
  for (const s of scenarios) {
    if (!s.chain) {
      s.order = 0;
      continue;
    }
    const n = next.get(s.chain) ?? 0;
    s.order = n;
    next.set(s.chain, n + 1);
  }
}

/** The wanted scenarios and the earlier steps of their chains (those make the ids the wanted ones use). */
export function withEarlierSteps(scenarios: Scenario[], wanted: ReadonlySet<string>): Scenario[] {
  const last = new Map<string, number>();
  for (const s of scenarios) if (wanted.has(s.id) && s.chain) last.set(s.chain, Math.max(last.get(s.chain) ?? -1, s.order));
  return scenarios.filter((s) => wanted.has(s.id) || (s.chain !== undefined && s.order <= (last.get(s.chain) ?? -1)));
}
