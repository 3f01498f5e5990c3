#!/usr/bin/env node
'use strict';
// In a checkout the TypeScript sources run directly; an installed package runs the bundle.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const source = path.join(root, 'server', 'src', 'cli.ts');
let cli;
if (fs.existsSync(source) && fs.existsSync(path.join(root, 'node_modules', 'tsx'))) {
  require('tsx/cjs/api').register();
  cli = require(source);
} else {
  cli = require(path.join(root, 'dist', 'cli.js'));
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
