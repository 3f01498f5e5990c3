// Extension-host tests in a real VS Code through @vscode/test-electron, on machines that can
// download VS Code: once on the oldest supported version (engines.vscode) and once on stable.
//   node esbuild.mjs && node .vscode-test.mjs [minimum|stable]
// The test entry (out/test/e2e/index.js) exports `run()` and uses the `vscode` API.
import { runTests } from '@vscode/test-electron';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const minimum = manifest.engines.vscode.replace(/^[^\d]*/, '');

const targets = { minimum, stable: 'stable' };
const wanted = process.argv.slice(2).filter((a) => a in targets);

for (const label of wanted.length ? wanted : Object.keys(targets)) {
  console.log(`extension tests on VS Code ${targets[label]} (${label})`);
  await runTests({
    version: targets[label],
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out/test/e2e/index.js'),
    launchArgs: [path.join(root, 'examples/fastapi-shop'), '--disable-extensions', '--disable-workspace-trust'],
  });
}
