import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { EnvironmentError } from '../../server/src/engine/model';
import { DockerRuntime } from '../../server/src/engine/runtime';
import { ensureExampleUp } from '../setup/docker';
import { freePort } from '../setup/net';
import { waitForHealth } from '../../server/src/engine/smoke/health';

/**
 * Rebuilding on a real engine: the image is built again from the compose service's Dockerfile and
 * the container recreated from it with the same name, labels and network; a failed build leaves
 * the running container as it was. Runs on a copy of the Express example under its own name, tag
 * and port, so the example itself is left alone.
 */

const ROOT = path.join(__dirname, '..', '..');
const docker = new Docker();


async function exec(container: Docker.Container, cmd: string[]): Promise<string> {
  const e = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  return Buffer.concat(chunks).toString('utf8');
}

describe('docker runtime rebuild', () => {
  const name = `smoke-rebuild-${process.pid}`;
  const image = `smoke-repair/rebuild-test:${process.pid}`;
  let workspace: string;
  let port: number;

  before(async () => {
    await ensureExampleUp('todo-api-node'); // its image is the starting point
    workspace = mkdtempSync(path.join(tmpdir(), 'smoke-rebuild-'));
    cpSync(path.join(ROOT, 'examples', 'todo-api-node'), workspace, { recursive: true, filter: (p) => !p.includes('node_modules') });
    await docker.getImage('smoke-repair/todo-api-node:dev').tag({ repo: 'smoke-repair/rebuild-test', tag: String(process.pid) });
    port = await freePort();
    const c = await docker.createContainer({
      name,
      Image: image,
      Env: [`PORT=${port}`],
      Labels: { 'com.docker.compose.project': name, 'com.docker.compose.service': 'api' },
      HostConfig: { NetworkMode: 'host', Binds: [`${path.join(workspace, 'src')}:/app/src`] },
    });
    await c.start();
    await waitForHealth(`http://127.0.0.1:${port}`, '/health', 30_000);
  });

  after(async () => {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${name}`] } })) {
      await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
    await docker.getImage(image).remove({ force: true }).catch(() => undefined);
  });

  function runtime(rebuild: boolean): DockerRuntime {
    return new DockerRuntime(
      { project: name, service: 'api', composeFile: 'docker-compose.yml', rebuild, buildArgs: { BASE: 'smoke-repair/node-base:1' } },
      workspace,
    );
  }

  test('is off unless the configuration allows it', async () => {
    await assert.rejects(runtime(false).rebuild(), (err: unknown) => err instanceof EnvironmentError && /Rebuilding the image is off/.test(err.message));
  });

  test('builds the image from the current files and recreates the container alike', async () => {
    const before = await docker.getContainer(name).inspect();
    const pkg = JSON.parse(readFileSync(path.join(workspace, 'package.json'), 'utf8'));
    pkg.version = '9.9.9-rebuilt';
    writeFileSync(path.join(workspace, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
    const lines: string[] = [];
    const rt = runtime(true);
    await rt.rebuild((l) => lines.push(l));
    assert.ok(lines.some((l) => /Step \d+\/\d+|npm ci/.test(l)), 'build output was passed on');

    const after = await docker.getContainer(name).inspect();
    assert.notEqual(after.Id, before.Id, 'a new container');
    assert.notEqual(after.Image, before.Image, 'from a new image');
    assert.equal(after.Config.Labels['com.docker.compose.service'], 'api');
    assert.equal(after.HostConfig.NetworkMode, 'host');
    assert.deepEqual(after.HostConfig.Binds, before.HostConfig.Binds);
    assert.ok(after.Config.Env.includes(`PORT=${port}`));
    await waitForHealth(`http://127.0.0.1:${port}`, '/health', 30_000);
    assert.match(await exec(docker.getContainer(name), ['cat', '/app/package.json']), /9\.9\.9-rebuilt/);
    const all = await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${name}`] } });
    assert.equal(all.length, 1, 'the replaced container is gone');
  });

  test('a failed build says why and leaves the running container as it was', async () => {
    const before = await docker.getContainer(name).inspect();
    const dockerfile = path.join(workspace, 'Dockerfile');
    writeFileSync(dockerfile, readFileSync(dockerfile, 'utf8').replace('COPY src ./src', 'RUN echo "broken step" && exit 3\nCOPY src ./src'));
    await assert.rejects(runtime(true).rebuild(), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.match(err.message, /Building smoke-repair\/rebuild-test:\d+ .* failed/);
      assert.match(err.message, /broken step/);
      return true;
    });
    const after = await docker.getContainer(name).inspect();
    assert.equal(after.Id, before.Id);
    assert.equal(after.State.Running, true);
  });

  test('without a Dockerfile nothing is attempted', async () => {
    const bare = mkdtempSync(path.join(tmpdir(), 'smoke-nodockerfile-'));
    const rt = new DockerRuntime({ project: name, service: 'api', rebuild: true, buildArgs: {} }, bare);
    await assert.rejects(rt.rebuild(), /no Dockerfile at .*Dockerfile, so the image is not rebuilt/);
  });
});
