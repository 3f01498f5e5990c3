/**
 * The engine reads top to bottom as the loop's steps (docs/architecture.md): the loop and the
 * reports on top, one repair pass below them, the steps in pipeline order, the knowledge the steps
 * share, and the vocabulary at the bottom. An import may only point down, or to an earlier step;
 * the engine never imports the editor side (lsp/, cli, vscode).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const ENGINE = path.join(__dirname, '../../server/src/engine');

/** Each folder (or top-level file) of the engine, in the order a reader meets them. */
export const LAYERS: { name: string; units: string[]; ordered?: boolean }[] = [
  { name: 'top', units: ['index', 'report', 'loop'], ordered: true },
  { name: 'pass', units: ['repair', 'approvals'] },
  // The steps in pipeline order, last first: a step may use an earlier step's public face.
  { name: 'steps', units: ['apply', 'validate', 'patch', 'policy', 'plan', 'run', 'startup', 'smoke', 'classify', 'violations'], ordered: true },
  { name: 'knowledge', units: ['routes', 'imports', 'deps', 'logs', 'traces', 'runtime', 'learn'] },
  { name: 'vocabulary', units: ['records', 'contracts', 'fixPlan', 'config', 'redact', 'files', 'model'] },
];

function rank(unit: string): { layer: number; order: number } | undefined {
  for (const [layer, l] of LAYERS.entries()) {
    const i = l.units.indexOf(unit);
    if (i >= 0) return { layer, order: l.ordered ? i : 0 };
  }
  return undefined;
}

/** Why an import from one unit to another breaks the layering, or undefined when it may stand. */
export function breach(from: string, to: string): string | undefined {
  if (from === to) return undefined;
  const a = rank(from);
  const b = rank(to);
  if (!a) return `${from} is in no layer: add it to LAYERS and docs/architecture.md`;
  if (!b) return `${to} is in no layer: add it to LAYERS and docs/architecture.md`;
  if (b.layer < a.layer) return `${from} (${LAYERS[a.layer]!.name}) imports ${to} (${LAYERS[b.layer]!.name}), a layer above it`;
  if (b.layer === a.layer && b.order < a.order) return `${from} imports ${to}, a later ${LAYERS[a.layer]!.name === 'steps' ? 'step' : 'unit'} of the ${LAYERS[a.layer]!.name} layer`;
  return undefined;
}

function unitOf(file: string): string {
  const rel = path.relative(ENGINE, file).split(path.sep);
  return rel.length > 1 ? rel[0]! : rel[0]!.replace(/\.ts$/, '');
}

function engineFiles(dir = ENGINE): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return engineFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * Every static import and re-export of the engine's sources: `import … from '…'`, `export … from '…'`
 * and `import '…'` statements, which start a line (the engine loads no module of its own dynamically;
 * `require('…')` in its comments and strings are examples of the apps it reads).
 */
function imports(): { file: string; line: number; spec: string; target: string }[] {
  const out: { file: string; line: number; spec: string; target: string }[] = [];
  for (const file of engineFiles()) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\b[^'";]*?(?:\bfrom\s*)?['"]([^'"]+)['"]/gm)) {
      const line = source.slice(0, m.index).split('\n').length;
      const spec = m[1]!;
      out.push({ file, line, spec, target: spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : spec });
    }
  }
  return out;
}

describe('the engine layering', () => {
  it('knows a breach when it sees one', () => {
    assert.match(breach('plan', 'repair')!, /a layer above it/);
    assert.match(breach('plan', 'apply')!, /a later step/);
    assert.match(breach('model', 'contracts') ?? '', /^$/); // both vocabulary: may stand
    assert.equal(breach('apply', 'patch'), undefined);
    assert.equal(breach('loop', 'repair'), undefined);
    assert.match(breach('loop', 'report')!, /later unit of the top layer/);
    assert.match(breach('newthing', 'model')!, /in no layer/);
  });

  it('every engine import points down, or to an earlier step', () => {
    const found: string[] = [];
    const units = new Set<string>();
    for (const { file, line, spec, target } of imports()) {
      const where = `${path.relative(ENGINE, file)}:${line}`;
      units.add(unitOf(file));
      if (!spec.startsWith('.')) {
        if (spec === 'vscode' || spec.startsWith('vscode-languageserver')) found.push(`${where}: imports ${spec} (the engine runs without an editor)`);
        continue;
      }
      if (!target.startsWith(ENGINE + path.sep)) {
        found.push(`${where}: imports ${spec}, outside the engine`);
        continue;
      }
      const why = breach(unitOf(file), unitOf(target));
      if (why) found.push(`${where}: ${why}`);
    }
    assert.deepEqual(found, []);
    assert.ok(units.size >= 20, `read the imports of ${units.size} units`);
    // Every folder is placed, so a new one cannot slip in unranked.
    for (const u of units) assert.ok(rank(u), `${u} is in no layer`);
  });
});
