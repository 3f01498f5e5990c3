import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { EnvironmentError } from '../../server/src/engine/model';
import { DockerRuntime, ProcessRuntime, type Runtime } from '../../server/src/engine/runtime';
import { ensureDocker } from '../setup/docker';
import { freePort } from '../setup/net';
import { isHealthy, waitForHealth } from '../../server/src/engine/smoke/health';

/**
 * Every Runtime adapter passes the same contract: it finds the running app, reads its log lines of
 * a time window with stdout and stderr apart, reports the mounts that map its paths to host paths,
 * and restarts it. The app is a small real HTTP server that logs what it is asked to.
 */

const APP = `
import http.server, sys, urllib.parse
port = int(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        q = urllib.parse.urlparse(self.path)
        msg = urllib.parse.parse_qs(q.query).get("msg", [""])[0]
        if q.path == "/log":
            print("out:" + msg, flush=True)
            print("err:" + msg, file=sys.stderr, flush=True)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
print("listening", flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
`;

const PYTHON_BASE = 'smoke-repair/python-base:1';

async function get(url: string): Promise<number> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

function contract(name: string, make: () => Promise<{ runtime: Runtime; baseUrl: string; appDir: string; appPath: string }>) {
  describe(`${name} runtime contract`, () => {
    let runtime: Runtime;
    let baseUrl: string;
    let appDir: string;
    let appPath: string;
    before(async () => {
      ({ runtime, baseUrl, appDir, appPath } = await make());
      await runtime.ensureRunning();
      await waitForHealth(baseUrl, '/health', 20_000);
    });
    after(async () => {
      await runtime?.dispose();
    });

    test('reads the lines of a time window, stdout and stderr apart', async () => {
      const t0 = Date.now();
      assert.equal(await get(`${baseUrl}/log?msg=first`), 200);
      const t1 = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      const t2 = Date.now();
      assert.equal(await get(`${baseUrl}/log?msg=second`), 200);
      await new Promise((r) => setTimeout(r, 300));
      const t3 = Date.now();

      // Only the lines this test asked for: a slow start may log its own lines late.
      const asked = <L extends { text: string }>(lines: L[]) => lines.filter((l) => /^(out|err):/.test(l.text));
      const first = asked(await runtime.logs(t0 - 20, t1 + 150));
      assert.deepEqual(
        first.map((l) => [l.stream, l.text]).sort(),
        [['stderr', 'err:first'], ['stdout', 'out:first']],
      );
      const both = await runtime.logs(t0 - 20, t3);
      assert.ok(both.some((l) => l.text === 'out:second' && l.stream === 'stdout'));
      assert.ok(both.every((l, i) => i === 0 || both[i - 1].time <= l.time), 'lines come in time order');
      const second = await runtime.logs(t2 - 20, t3);
      assert.ok(!second.some((l) => l.text.endsWith(':first')), 'the window leaves out earlier lines');
    });

    test('mounts map the app path to the host folder', async () => {
      const mounts = await runtime.mounts();
      const m = mounts.find((x) => appPath.startsWith(x.destination));
      assert.ok(m, `a mount covers ${appPath}: ${JSON.stringify(mounts)}`);
      assert.equal(realpathSync(path.join(m.source, path.relative(m.destination, appPath))), realpathSync(path.join(appDir, 'app.py')));
    });

    test('restart brings the app back', async () => {
      await runtime.restart();
      await waitForHealth(baseUrl, '/health', 20_000);
      assert.equal(await get(`${baseUrl}/health`), 200);
    });
  });
}

contract('process', async () => {
  const appDir = mkdtempSync(path.join(tmpdir(), 'smoke-process-'));
  writeFileSync(path.join(appDir, 'app.py'), APP);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const runtime = new ProcessRuntime(
    { command: `python3 app.py ${port}`, cwd: '.', env: {}, start: true },
    appDir,
    () => isHealthy(baseUrl, '/health'),
    async () => void (await waitForHealth(baseUrl, '/health', 20_000)),
  );
  return { runtime, baseUrl, appDir, appPath: path.join(appDir, 'app.py') };
});

const containers: Docker.Container[] = [];
contract('docker', async () => {
  await ensureDocker();
  execFileSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'setup-docker.sh'), 'bases'], { stdio: 'inherit' });
  const docker = new Docker();
  const appDir = mkdtempSync(path.join(tmpdir(), 'smoke-docker-'));
  writeFileSync(path.join(appDir, 'app.py'), APP);
  const port = await freePort();
  const project = `contract${port}`;
  const container = await docker.createContainer({
    Image: PYTHON_BASE,
    Cmd: ['python3', '/srv/app/app.py', String(port)],
    Labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': 'api' },
    HostConfig: { NetworkMode: 'host', Binds: [`${appDir}:/srv/app:ro`], AutoRemove: false },
  });
  containers.push(container);
  await container.start();
  return {
    runtime: new DockerRuntime({ project, service: 'api' }, appDir, docker),
    baseUrl: `http://127.0.0.1:${port}`,
    appDir,
    appPath: '/srv/app/app.py',
  };
});

after(async () => {
  for (const c of containers) await c.remove({ force: true }).catch(() => undefined);
});

describe('docker runtime errors', () => {
  test('an unreachable engine says where it looked and what to do', async () => {
    const runtime = new DockerRuntime({ service: 'api', project: 'x' }, tmpdir(), new Docker({ socketPath: '/nonexistent/docker.sock' }));
    await assert.rejects(runtime.ensureRunning(), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.match(err.message, /Docker is not reachable/);
      assert.match(err.remedy, /Start the Docker engine/);
      return true;
    });
  });

  test('a missing compose service names the project and how to start it', async () => {
    await ensureDocker();
    const runtime = new DockerRuntime({ service: 'nothing-here', project: 'no-such-project' }, tmpdir());
    await assert.rejects(runtime.ensureRunning(), /No container of compose service "nothing-here" in project "no-such-project"/);
  });
});
