#!/usr/bin/env node
'use strict';
// Runs the command line from the bundle (dist/cli.js) when it is up to date, else from the
// TypeScript sources through tsx (a checkout where sources changed since the last build), else
// from the bundle (an installed package, which has no sources).
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');

/**
 * Which entry to load, from what exists and how old it is:
 *   bundleMtimeMs       the bundle's mtime, undefined when there is no bundle
 *   newestInputMtimeMs  the newest mtime among what the bundle is built from (undefined: unknown)
 *   hasSource, hasTsx   whether the TypeScript sources, and tsx to run them, are there
 * Returns 'bundle' (up to date, or no sources to compare with), 'source', 'outdated-bundle' (older
 * than the sources, but they cannot run) or undefined (nothing to run).
 */
function chooseEntry({ bundleMtimeMs, newestInputMtimeMs, hasSource, hasTsx }) {
  const haveBundle = bundleMtimeMs !== undefined;
  if (haveBundle && !hasSource) return 'bundle';
  if (haveBundle && newestInputMtimeMs !== undefined && newestInputMtimeMs <= bundleMtimeMs) return 'bundle';
  if (hasSource && hasTsx) return 'source';
  return haveBundle ? 'outdated-bundle' : undefined;
}

/**
 * The newest mtime of `dir` and of everything below it. A directory's own mtime changes when an
 * entry is added, removed or renamed, so deletions count too. Stops looking once something newer
 * than `enough` turns up (the answer is then "newer than `enough`", not the newest).
 */
function newestMtimeMs(dir, enough = Infinity) {
  let newest = fs.statSync(dir).mtimeMs;
  const pending = [dir];
  while (pending.length > 0 && newest <= enough) {
    const current = pending.pop();
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const mtime = fs.statSync(full).mtimeMs;
      if (mtime > newest) newest = mtime;
      if (newest > enough) break;
      if (entry.isDirectory()) pending.push(full);
    }
  }
  return newest;
}

function mtimeOrUndefined(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Looks at `root` (the package folder) and decides. What the bundle is built from: server/src and
 * the installed dependencies (npm rewrites node_modules/.package-lock.json on every install).
 */
function resolveEntry(root = ROOT) {
  const bundle = path.join(root, 'dist', 'cli.js');
  const source = path.join(root, 'server', 'src', 'cli.ts');
  const bundleMtimeMs = mtimeOrUndefined(bundle);
  const hasSource = fs.existsSync(source);
  let newestInputMtimeMs;
  if (bundleMtimeMs !== undefined && hasSource) {
    newestInputMtimeMs = Math.max(
      newestMtimeMs(path.join(root, 'server', 'src'), bundleMtimeMs),
      mtimeOrUndefined(path.join(root, 'node_modules', '.package-lock.json')) ?? 0,
    );
  }
  let tsx;
  if (hasSource) {
    try {
      tsx = require.resolve('tsx/cjs/api', { paths: [root] });
    } catch {
      /* not installed */
    }
  }
  const choice = chooseEntry({ bundleMtimeMs, newestInputMtimeMs, hasSource, hasTsx: tsx !== undefined });
  return { choice, bundle, source, tsx };
}

/** The command line's module, or undefined when there is nothing to run. */
function loadCli(root = ROOT) {
  const { choice, bundle, source, tsx } = resolveEntry(root);
  if (choice === 'source') {
    require(tsx).register();
    return require(source);
  }
  if (choice === 'outdated-bundle') {
    process.stderr.write(`smoke-repair: ${path.relative(process.cwd(), bundle) || bundle} is older than the sources and tsx is not installed to run them; running the older bundle (npm run build updates it)\n`);
  }
  return choice === undefined ? undefined : require(bundle);
}

module.exports = { chooseEntry, newestMtimeMs, resolveEntry };

if (require.main === module) {
  const cli = loadCli();
  if (!cli) {
    process.stderr.write(`smoke-repair: there is neither dist/cli.js nor tsx to run server/src/cli.ts in ${ROOT}: run npm install, then npm run build\n`);
    process.exit(2);
  }
  cli.main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`smoke-repair: ${err && err.stack ? err.stack : err}\n`);
      process.exitCode = 2;
    },
  );
}
