// Bundles the extension: the VS Code client, the language server and the command line.
//   node esbuild.mjs               development build with source maps
//   node esbuild.mjs --production  minified, no source maps
//   node esbuild.mjs --watch       rebuild on change
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, utimesSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/**
 * dockerode → docker-modem → ssh2 loads two native add-ons, both inside try/catch with a pure
 * JavaScript fallback: `cpu-features` (CPU detection for cipher order) and ssh2's own
 * `sshcrypto.node`. They stay external; when they are missing at run time (they are not shipped),
 * ssh2 falls back to its JavaScript code paths. `esbuild` (the TypeScript parse check of a
 * validation) ships a native binary per platform: it is loaded from the workspace when there.
 */
const nativeExternals = ['cpu-features', '*.node', 'esbuild'];

const entries = [
  { in: 'client/src/extension.ts', out: 'dist/client.js', external: ['vscode'] },
  { in: 'server/src/server.ts', out: 'dist/server.js', external: nativeExternals },
  // bin/smoke-repair.js runs this bundle while it is newer than everything under server/src.
  { in: 'server/src/cli.ts', out: 'dist/cli.js', external: nativeExternals, stampStart: true },
  { in: 'server/src/reaper.ts', out: 'dist/reaper.js', external: nativeExternals },
];

/** Reports each build's problems in the `file:line:column: message` form problem matchers read. */
const problemReporter = {
  name: 'problem-reporter',
  setup(build) {
    build.onEnd((result) => {
      for (const { text, location } of [...result.errors, ...result.warnings]) {
        if (location) console.error(`${location.file}:${location.line}:${location.column}: ${text}`);
        else console.error(text);
      }
    });
  },
};

/**
 * Dates the bundle to the moment its build started, written or not: a source saved while the build
 * ran is then newer than the bundle, which the command line takes as "out of date".
 */
const stampWithStartTime = {
  name: 'stamp-with-start-time',
  setup(build) {
    let started = new Date();
    build.onStart(() => {
      started = new Date();
    });
    build.onEnd((result) => {
      const out = build.initialOptions.outfile;
      if (result.errors.length === 0 && out && existsSync(out)) utimesSync(out, started, started);
    });
  },
};

const contexts = [];
for (const entry of entries) {
  if (!existsSync(entry.in)) {
    console.warn(`skipping ${entry.out}: ${entry.in} does not exist yet`);
    continue;
  }
  contexts.push(
    await esbuild.context({
      entryPoints: [entry.in],
      outfile: entry.out,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      external: entry.external,
      minify: production,
      sourcemap: !production,
      sourcesContent: false,
      // Some dependencies ship ESM-only builds that read import.meta.url.
      define: { 'import.meta.url': '__import_meta_url' },
      banner: { js: "const __import_meta_url = require('url').pathToFileURL(__filename).href;" },
      logLevel: 'silent',
      plugins: entry.stampStart ? [problemReporter, stampWithStartTime] : [problemReporter],
    }),
  );
}

/** Data files the engine reads at run time, next to the bundles (the popular-package lists). */
function copyData() {
  mkdirSync('dist/deps-data', { recursive: true });
  for (const name of ['pypi-top.txt', 'npm-top.txt']) cpSync(`server/src/engine/deps/data/${name}`, `dist/deps-data/${name}`);
}
copyData();

let failed = false;
for (const ctx of contexts) {
  if (watch) {
    await ctx.watch();
  } else {
    try {
      await ctx.rebuild();
    } catch {
      failed = true;
    }
    await ctx.dispose();
  }
}
if (watch) console.log('watching for changes');
else if (failed) process.exit(1);
