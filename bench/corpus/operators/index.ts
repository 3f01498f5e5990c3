/**
 * Every operator at every site of an app: the faults to plant, each in a fresh copy.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { BUILTIN_CATALOG } from '../../../server/src/engine/plan/antipatterns/catalog';
import { KINDS, type AppSources, type Fault, type FaultKind } from '../faults';
import { antiPatternFaults, PLANTERS } from './antipatterns';
import { removeImportFaults, unusedMissingImportFaults } from './imports';
import { dropDependencyFaults } from './manifest';
import { removeMountFaults, routePathFaults, statusCodeFaults } from './routing';

/** Modules a developer might leave an import of (debugging and formatting helpers); only those not installed are used. */
const PY_CANDIDATES = ['ipdb', 'icecream', 'pysnooper', 'devtools', 'line_profiler'];
const JS_CANDIDATES = ['why-is-node-running', 'dayjs', 'chalk', 'lodash', 'nanoid'];

/** Candidates the app's interpreter cannot import (Python) or the app cannot resolve (Node). */
export function missingModules(app: AppSources, python: string): string[] {
  if (app.app.language === 'python') {
    const script = `import importlib.util, json, sys\nprint(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]))`;
    return JSON.parse(execFileSync(python, ['-c', script, ...PY_CANDIDATES], { encoding: 'utf8' })) as string[];
  }
  const req = createRequire(path.join(app.dir, 'index.js'));
  return JS_CANDIDATES.filter((m) => {
    try {
      req.resolve(m);
      return false;
    } catch {
      return true;
    }
  });
}

/** Catalog entries that no operator plants. */
export const UNPLANTED_CATALOG = BUILTIN_CATALOG.map((e) => e.id).filter((id) => !PLANTERS[id]);

export function faultsFor(app: AppSources, opts: { missing: string[]; kinds?: FaultKind[] }): Fault[] {
  const want = new Set(opts.kinds?.length ? opts.kinds : KINDS);
  const all: Fault[] = [];
  if (want.has('remove-import')) all.push(...removeImportFaults(app));
  if (want.has('drop-dependency')) all.push(...dropDependencyFaults(app));
  if (want.has('unused-missing-import')) all.push(...unusedMissingImportFaults(app, opts.missing));
  if (want.has('remove-mount')) all.push(...removeMountFaults(app));
  if (want.has('status-code')) all.push(...statusCodeFaults(app));
  if (want.has('route-path')) all.push(...routePathFaults(app));
  if (want.has('anti-pattern')) all.push(...antiPatternFaults(app, BUILTIN_CATALOG.map((e) => e.id)));
  // Unique ids (two faults of one kind on one line differ by a suffix).
  const seen = new Map<string, number>();
  for (const f of all) {
    const n = (seen.get(f.id) ?? 0) + 1;
    seen.set(f.id, n);
    if (n > 1) f.id = `${f.id}#${n}`;
  }
  return all;
}
