/**
 * In the editor, over stdio against the real server: the workspace is one checkout, the container
 * that answers runs another. The run warns, the failure is still shown, and its light bulb offers
 * no fix but says why (nothing written here would reach the app).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { waitForHealth } from '../../server/src/engine/smoke/health';
import { copyFieldApp, ensureFieldImages, type FieldWorkspace } from '../setup/field';
import { buildServer, LspEditor } from '../setup/lspEditor';
import { freePort } from '../setup/net';

const copies: FieldWorkspace[] = [];
let editor: LspEditor | undefined;
after(async () => {
  await editor?.close();
  copies.forEach((c) => c.remove());
});

test('a container that runs another checkout: a warning, the failure, and no fix with the reason', { timeout: 180_000 }, async () => {
  buildServer();
  ensureFieldImages();
  const port = await freePort();
  const running = copyFieldApp('fastapi-heroes', { port, docker: true, plant: ['read-hero'] });
  const here = copyFieldApp('fastapi-heroes', { port, docker: true, plant: ['read-hero'] });
  copies.push(here, running);
  running.up();
  await waitForHealth(`http://127.0.0.1:${port}`, { path: '/', anyAnswer: true }, 60_000);
  const yamlFile = path.join(here.dir, 'smoke-repair.yaml');
  writeFileSync(yamlFile, readFileSync(yamlFile, 'utf8').replace(`project: ${here.project}`, `project: ${running.project}`));

  editor = new LspEditor();
  await editor.initialize(here.dir);
  const result = await editor.runSmoke();
  assert.ok(result.ok, JSON.stringify(result));
  const warning = await editor.until(() => editor!.messages.find((m) => m.type === 2 && /runs another folder's code/.test(m.message)), 'the warning');
  assert.match(warning.message, /Fixes are not applied/);

  const uri = pathToFileURL(path.join(here.dir, 'app/routers/heroes.py')).href;
  await editor.until(() => editor!.diagnostics.get(uri)?.length, 'the diagnostic on heroes.py');
  await editor.until(() => editor!.planned.length > 0, 'planning to finish');
  await editor.open(uri, 1);
  const actions = await editor.actions(uri);
  assert.equal(actions.some((a) => a.title.startsWith('Apply fix:')), false, actions.map((a) => a.title).join('\n'));
  const none = actions.find((a) => a.title === 'No fix for this failure');
  assert.ok(none, actions.map((a) => a.title).join('\n'));
  assert.match(none.disabled?.reason ?? '', /no fix: the app's container mounts .* not this workspace/);
});
