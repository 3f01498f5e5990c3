import path from 'node:path';
import {
  addPackageJsonDependency,
  addPyprojectDependency,
  addRequirement,
  kindOf,
  ManifestEditError,
  pinPackageJsonDependency,
  pinPyprojectDependency,
  pinRequirement,
} from '../../deps';
import { PatchError, type Executor, type ExecutorContext } from '../../contracts';

/**
 * Executors for `add_dependency` and `pin_dependency`: line-level manifest edits that keep every
 * other byte (see deps/). The manifest kind comes from the file name: `package.json`,
 * `pyproject.toml`, `requirements*.txt` / `requirements*.in`. Errors are PatchErrors located at
 * the manifest's line when known; their operationIndex is 0, to be set by the caller that knows it.
 */

function edit(ctx: ExecutorContext, run: () => string): string {
  try {
    return run();
  } catch (e) {
    if (e instanceof ManifestEditError) throw new PatchError(`${ctx.file}: ${e.message}`, ctx.file, 0, e.line);
    throw e;
  }
}

function manifestKind(ctx: ExecutorContext) {
  const kind = kindOf(ctx.file);
  if (!kind) throw new PatchError(`${ctx.file}: not a dependency manifest (expected package.json, pyproject.toml or requirements*.txt)`, ctx.file, 0);
  if (!ctx.exists && kind !== 'requirements') throw new PatchError(`${ctx.file}: the manifest does not exist`, ctx.file, 0);
  return kind;
}

export const addDependency: Executor<'add_dependency'> = (op, ctx) => {
  const kind = manifestKind(ctx);
  const { name, version, group } = op.details;
  return edit(ctx, () => {
    if (kind === 'package.json') return addPackageJsonDependency(ctx.text, name, version ?? '*', group);
    if (kind === 'pyproject') return addPyprojectDependency(ctx.text, name, version, group);
    if (group) throw new ManifestEditError(`${path.posix.basename(ctx.file)} has no dependency groups; put "${name}" in the group's own requirements file`);
    return addRequirement(ctx.text, name, version);
  });
};

export const pinDependency: Executor<'pin_dependency'> = (op, ctx) => {
  const kind = manifestKind(ctx);
  const { name, version } = op.details;
  return edit(ctx, () => {
    if (kind === 'package.json') return pinPackageJsonDependency(ctx.text, name, version);
    if (kind === 'pyproject') return pinPyprojectDependency(ctx.text, name, version);
    return pinRequirement(ctx.text, name, version);
  });
};
