import path from 'node:path';
import {
  checkPackageName,
  findDeclaration,
  findManifests,
  isNodeBuiltin,
  isPythonStdlib,
  lockedNpmVersion,
  npmPackageOf,
  pythonDistributionFor,
  type Ecosystem,
} from '../../deps';
import { jsImportUse, pythonImportUse } from '../../deps/importUse';
import { latestNpmVersion } from '../../deps/registryVersion';
import type { Frame, Trace } from '../../model';
import type { NoPlan, PlanningContext, Rule } from '../../contracts';
import { innermostWorkspaceFrame } from '../../violations';
import type { FixPlanInput } from '../../fixPlan';

/**
 * Missing dependency: the app imports a third-party module that is not installed because no
 * manifest declares it. Python `ModuleNotFoundError: No module named 'x'` and `ImportError:
 * cannot import name 'n' from 'x'`; Node `Cannot find module 'x'` and `ERR_MODULE_NOT_FOUND`
 * (`Cannot find package 'x' imported from ...`). The plan adds the distribution that provides the
 * module to the manifest that governs the failing file.
 *
 * Not a dependency problem (no plan, with the reason): the standard library or a Node builtin, a
 * relative or absolute path, a module of the workspace itself (an import-path error), an import
 * whose names are never used (the unused-import rule removes it), a package already declared (the
 * image or node_modules is stale: rebuild / reinstall), a look-alike of a popular package.
 *
 * Versions: Python entries carry none (any version; the resolver picks the newest that fits). npm
 * needs a range: `^<locked>` when package-lock.json or node_modules tells the version, else `*`
 * with the evidence `version-unpinned: ...` so the policy asks a person (never `latest`).
 */

export interface MissingModule {
  ecosystem: Ecosystem;
  /** The module or specifier as the trace names it (`slugify`, `csv-stringify/sync`). */
  module: string;
  /** For `cannot import name`: the name that could not be imported. */
  importedName?: string;
  /** The exception line, for evidence. */
  signal: string;
}

const PY_MISSING = /No module named '([^']+)'/;
const PY_CANNOT_IMPORT = /cannot import name '([^']+)' from '([^']+)'(?: \(([^)]*)\))?/;
const NODE_CJS = /Cannot find module '([^']+)'/;
const NODE_ESM = /Cannot find package '([^']+)' imported from/;

/** The missing module a trace (or one of its causes) reports, or undefined. */
export function missingModuleOf(trace: Trace | undefined): MissingModule | undefined {
  if (!trace) return undefined;
  const all = [{ exceptionClass: trace.exceptionClass, message: trace.message }, ...[...trace.causes].reverse()];
  for (const e of all) {
    const signal = `${e.exceptionClass}: ${e.message.split('\n')[0]}`;
    if (trace.language === 'python') {
      let m = PY_MISSING.exec(e.message);
      if (m && /ModuleNotFoundError|ImportError/.test(e.exceptionClass)) return { ecosystem: 'python', module: m[1], signal };
      m = PY_CANNOT_IMPORT.exec(e.message);
      if (m && e.exceptionClass === 'ImportError') {
        // A module that lives in the workspace (its path outside any site-packages) is not third-party.
        if (m[3] && m[3] !== 'unknown location' && !/(site|dist)-packages/.test(m[3])) return undefined;
        return { ecosystem: 'python', module: m[2], importedName: m[1], signal };
      }
    } else {
      const m = NODE_ESM.exec(e.message) ?? NODE_CJS.exec(e.message);
      if (m) return { ecosystem: 'node', module: m[1], signal };
    }
  }
  return undefined;
}

/** The npm lockfile beside a package.json, when the workspace has one. */
function siblingLockfile(ctx: PlanningContext, manifest: string): string | undefined {
  const dir = path.posix.dirname(manifest);
  const lock = dir === '.' ? 'package-lock.json' : `${dir}/package-lock.json`;
  return ctx.files.includes(lock) ? lock : undefined;
}

const noPlan = (code: NoPlan['code'], reason: string): NoPlan => ({ code, reason });

function failingFrame(ctx: PlanningContext): Frame | { file: string; line: number } | undefined {
  const t = ctx.violation.trace;
  const f = t ? innermostWorkspaceFrame(t) : undefined;
  if (f) return f;
  if ((ctx.violation.locationKind === 'frame' || ctx.violation.locationKind === 'importer') && ctx.violation.location) return ctx.violation.location;
  return undefined;
}

/**
 * A loader that fails before any of the app's code runs (`python -m flask` without Flask) gives no
 * frame: the workspace file that imports the module stands in for it (the first, by path), so the
 * manifest that governs the app's code is the one to change.
 */
async function importingFile(ctx: PlanningContext, ecosystem: 'python' | 'node', module: string): Promise<{ file: string; line: number } | undefined> {
  const top = module.split(/[./]/)[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = ecosystem === 'python' ? new RegExp(`^[ \\t]*(?:import[ \\t]+${top}\\b|from[ \\t]+${top}(?:\\.[\\w.]+)?[ \\t]+import\\b)`, 'm') : new RegExp(`(?:require\\(|from[ \\t]+|import\\()[ \\t]*['"]${top}(?:/[^'"]*)?['"]`);
  const ext = ecosystem === 'python' ? /\.py$/ : /\.[cm]?[jt]sx?$/;
  for (const f of [...ctx.files].filter((x) => ext.test(x) && !/(^|\/)(tests?|__tests__)\//.test(x)).sort()) {
    const text = await ctx.read(f);
    const m = text === undefined ? null : re.exec(text);
    if (m) return { file: f, line: text!.slice(0, m.index).split('\n').length };
  }
  return undefined;
}

/** A Python module provided by the workspace: `a.b` as `a/b.py`, `a/b/__init__.py`, or a top-level `a` package or module anywhere. */
export function pythonWorkspaceModule(files: string[], module: string): string | undefined {
  const parts = module.split('.');
  const top = parts[0];
  const asPath = parts.join('/');
  return files.find((f) => {
    if (!f.endsWith('.py') && !f.endsWith('.pyi')) return false;
    const base = f.replace(/\.pyi?$/, '');
    if (base === asPath || base.endsWith(`/${asPath}`) || base === `${asPath}/__init__` || base.endsWith(`/${asPath}/__init__`)) return true;
    const segs = base.split('/');
    return segs.slice(0, -1).includes(top) || segs[segs.length - 1] === top;
  });
}

async function nodeWorkspacePackage(ctx: PlanningContext, pkg: string): Promise<string | undefined> {
  for (const f of ctx.files) {
    if (path.posix.basename(f) !== 'package.json' || f.includes('node_modules/')) continue;
    const text = await ctx.read(f);
    try {
      if (text && (JSON.parse(text) as { name?: unknown }).name === pkg) return f;
    } catch {
      // A broken package.json names nothing.
    }
  }
  return undefined;
}

export const missingDependencyRule: Rule = {
  id: 'missing-dependency',

  applies(ctx) {
    return missingModuleOf(ctx.violation.trace) !== undefined;
  },

  async plan(ctx): Promise<FixPlanInput | NoPlan> {
    const missing = missingModuleOf(ctx.violation.trace);
    if (!missing) return noPlan('not_applicable', 'the trace reports no missing module');
    const { ecosystem, module } = missing;
    const frame = failingFrame(ctx) ?? (ctx.violation.trace?.frames.length === 0 ? await importingFile(ctx, ecosystem, module) : undefined);
    const where = frame ? `${frame.file}:${frame.line}` : 'the app';

    // 1. Never a package: the standard library, builtins, paths.
    if (ecosystem === 'python' && isPythonStdlib(module)) {
      return noPlan('not_applicable', `'${module}' is in the Python standard library; a missing standard module is an interpreter problem, not a dependency`);
    }
    if (ecosystem === 'node' && isNodeBuiltin(module)) return noPlan('not_applicable', `'${module}' is a Node builtin module, not a package`);
    const pkgOrDist = ecosystem === 'node' ? npmPackageOf(module) : pythonDistributionFor(module).name;
    if (!pkgOrDist) return noPlan('not_applicable', `'${module}' is a relative or absolute path: a file of the workspace is missing or misnamed (an import-path error), not a dependency`);

    // 2. The workspace's own module: an import-path error.
    if (ecosystem === 'python') {
      const own = pythonWorkspaceModule(ctx.files, module);
      if (own) return noPlan('not_applicable', `'${module}' is the workspace's own module (${own}): an import-path or packaging error, not a missing dependency`);
    } else {
      const own = await nodeWorkspacePackage(ctx, pkgOrDist);
      if (own) return noPlan('not_applicable', `'${pkgOrDist}' is a package of the workspace (${own}): link it (npm workspaces) rather than install it`);
    }

    // 3. An import nobody uses: remove it instead (the unused-import rule).
    if (frame) {
      const source = await ctx.read(frame.file);
      if (source !== undefined) {
        const use = ecosystem === 'python' ? pythonImportUse(source, frame.line) : /\.[cm]?[jt]sx?$/.test(frame.file) ? jsImportUse(source, frame.line) : undefined;
        if (use && use.used.length === 0) {
          return noPlan(
            'not_applicable',
            `\`${use.statement}\` at ${where} binds ${use.names.join(', ')}, never used in ${use.scope}: remove the unused import (unused-import rule) rather than add '${pkgOrDist}' as a dependency`,
          );
        }
      }
    }
    if (!frame) return noPlan('insufficient_evidence', `no frame of the workspace shows where '${module}' is imported, so no manifest can be chosen`);

    // 4. The governing manifest, and whether it declares the package already.
    const manifests = await findManifests(ctx, frame.file, ecosystem);
    for (const m of manifests.all) {
      const decl = await findDeclaration(ctx, m, pkgOrDist);
      if (decl) {
        const at = `${decl.file}${decl.line ? `:${decl.line}` : ''}`;
        const remedy =
          ecosystem === 'node'
            ? `run \`npm install\` (and rebuild the image when the app runs in Docker)${decl.where === 'devDependencies' ? '; it is only a devDependency, so a production install leaves it out: move it to dependencies' : ''}`
            : 'rebuild the image (or reinstall the environment) so it is installed';
        const why = missing.importedName
          ? `'${decl.name}' is declared (${at}) but the installed version has no '${missing.importedName}': a version problem; pin the version that provides it`
          : `'${decl.name}' is declared (${at}) but not installed: ${remedy}`;
        return noPlan('insufficient_evidence', why);
      }
    }
    const target = manifests.target;
    if (!target) {
      const expected = ecosystem === 'node' ? 'package.json' : 'requirements.txt or pyproject.toml';
      return noPlan('insufficient_evidence', `no ${expected} governs ${frame.file} in the workspace; create one that declares '${pkgOrDist}'`);
    }

    // 5. Is it a real, known package and not a look-alike?
    const registry = ecosystem === 'node' ? 'npm' : 'pypi';
    const verdict = checkPackageName(registry, pkgOrDist);
    if (verdict.status === 'imitation') {
      return noPlan('unsafe', `'${pkgOrDist}' looks like the popular package '${verdict.imitates}' (${registry} rank ${verdict.imitatesRank}: ${verdict.how}) without being a known package itself; it may be a typosquat. Check the import; if '${verdict.imitates}' is meant, fix the import name`);
    }
    const evidence = [missing.signal, `failing import at ${where}`, `no declaration in ${manifests.all.map((m) => m.file).join(', ')}`, verdict.evidence];
    const mapped = ecosystem === 'python' && pythonDistributionFor(module).mapped;
    if (mapped) evidence.push(`import-name-mapping: ${module.split('.')[0]} → ${pkgOrDist}`);
    let confidence = verdict.status === 'known' ? 0.9 : 0.5;

    let version: string | undefined;
    if (ecosystem === 'node') {
      const locked = await lockedNpmVersion(ctx, target.file, pkgOrDist);
      if (locked) {
        version = `^${locked.version}`;
        evidence.push(`version-from: ${locked.source} has ${pkgOrDist}@${locked.version}`);
      } else {
        const latest = await latestNpmVersion(pkgOrDist);
        if (latest) {
          version = `^${latest}`;
          evidence.push(`version-from: the npm registry's newest ${pkgOrDist} is ${latest}`);
        } else {
          version = '*';
          confidence -= 0.1;
          evidence.push(`version-unpinned: neither a lock file, node_modules nor the registry tells the version of ${pkgOrDist}; "*" accepts any, review and pin it after npm install`);
        }
      }
    }
    // A lockfile beside package.json must follow it, or `npm ci` refuses to install.
    const lockfile = ecosystem === 'node' ? siblingLockfile(ctx, target.file) : undefined;
    const provider = module === pkgOrDist ? `'${pkgOrDist}'` : `'${pkgOrDist}', which provides '${module}',`;
    const remedyAfter = ecosystem === 'node' ? 'then npm install (and rebuild the image)' : 'then rebuild the image';
    return {
      root_cause: `${where} imports '${module}', but ${target.file} does not declare ${provider} so it is not installed`,
      category: 'DEPENDENCY',
      confidence: Math.round(confidence * 100) / 100,
      files: lockfile ? [target.file, lockfile] : [target.file],
      evidence,
      operations: [
        {
          type: 'add_dependency',
          file: target.file,
          details: {
            name: pkgOrDist,
            ...(version ? { version } : {}),
            ...(module !== pkgOrDist ? { importName: module } : {}),
          },
          rationale: `declare ${pkgOrDist} in ${target.file}, ${remedyAfter}`,
          evidence: [verdict.evidence],
        },
        ...(lockfile
          ? [
              {
                type: 'sync_lockfile' as const,
                file: lockfile,
                details: { manager: 'npm' as const },
                rationale: `bring ${lockfile} in line with ${target.file}, as npm install would`,
                evidence: [`${lockfile} sits beside ${target.file}`],
              },
            ]
          : []),
      ],
    };
  },
};
