import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  createPathMapper,
  extractTraces,
  listWorkspaceFiles,
  mapTrace,
  normalizePath,
  topWorkspaceFrame,
} from '../../server/src/engine/traces';

const files = ['app/main.py', 'app/services.py', 'app/__init__.py', 'tests/test_main.py', 'src/routes/orders.js', 'lib/db.js', 'pkg/a/util.py', 'pkg/b/util.py'];

describe('path mapping', () => {
  it('bind mounts first, only when the host path is inside the workspace', () => {
    const map = createPathMapper({
      workspace: '/home/dev/shop',
      mounts: [
        { destination: '/srv', source: '/home/dev/shop' },
        { destination: '/data', source: '/var/lib/data' },
      ],
      files,
    });
    assert.deepEqual(map('/srv/app/main.py'), { file: 'app/main.py', inWorkspace: true, via: 'mount' });
    // Mounted from outside the workspace: not by mount; suffix match still finds nothing for it.
    assert.deepEqual(map('/data/report.py'), { file: '/data/report.py', inWorkspace: false });
  });

  it('the longest mount destination wins', () => {
    const map = createPathMapper({
      workspace: '/w',
      mounts: [
        { destination: '/app', source: '/w' },
        { destination: '/app/src', source: '/w/backend/src' },
      ],
    });
    assert.equal(map('/app/src/x.py').file, 'backend/src/x.py');
    assert.equal(map('/app/y.py').file, 'y.py');
  });

  it('then the configured map (prefix → workspace folder)', () => {
    const map = createPathMapper({ workspace: '/w', pathMap: { '/usr/src/app': 'backend', '/opt/code/': './' } });
    assert.deepEqual(map('/usr/src/app/api/users.py'), { file: 'backend/api/users.py', inWorkspace: true, via: 'map' });
    assert.equal(map('/opt/code/main.py').file, 'main.py');
    assert.equal(map('/usr/src/app/../../etc/passwd').inWorkspace, false, 'no escape through ..');
  });

  it('then the longest path-suffix match; ties are not guessed', () => {
    const map = createPathMapper({ workspace: '/w', files });
    assert.deepEqual(map('/somewhere/else/app/services.py'), { file: 'app/services.py', inWorkspace: true, via: 'suffix' });
    assert.equal(map('/x/pkg/a/util.py').file, 'pkg/a/util.py');
    assert.equal(map('/x/util.py').inWorkspace, false, 'two util.py files match equally');
    assert.equal(map('/x/unknown.py').inWorkspace, false);
  });

  it('paths already inside the workspace (process mode)', () => {
    const map = createPathMapper({ workspace: '/home/dev/shop/', files: [] });
    assert.deepEqual(map('/home/dev/shop/app/main.py'), { file: 'app/main.py', inWorkspace: true, via: 'workspace' });
    assert.equal(map('/home/dev/shopping/app/main.py').inWorkspace, false);
  });

  it('library and runtime paths are never in the workspace', () => {
    const map = createPathMapper({ workspace: '/w', mounts: [{ destination: '/', source: '/w' }], files: ['venv/lib/python3.11/site-packages/x.py', 'node_modules/a/index.js'] });
    for (const p of [
      '/opt/venv/lib/python3.11/site-packages/fastapi/routing.py',
      '/usr/lib/python3/dist-packages/x.py',
      '/w/node_modules/a/index.js',
      'node:internal/modules/cjs/loader',
      '<frozen importlib._bootstrap>',
      '<sqlalchemy generated _go() wrapper for x>',
      '/usr/local/lib/python3.11/json/decoder.py',
      'file:///app/node_modules/express/lib/router/index.js',
    ]) {
      assert.equal(map(p).inWorkspace, false, p);
      assert.equal(map(p).file, p);
    }
  });

  it('file:// URLs and Windows paths', () => {
    assert.equal(normalizePath('file:///C:/Users/dev/app/x.js'), 'C:/Users/dev/app/x.js');
    assert.equal(normalizePath('file:///srv/my%20app/x.js'), '/srv/my app/x.js');
    assert.equal(normalizePath('C:\\app\\src\\..\\lib\\db.js'), 'C:/app/lib/db.js');
    const win = createPathMapper({ workspace: 'C:\\Users\\dev\\shop', files });
    assert.deepEqual(win('c:\\users\\dev\\shop\\src\\routes\\orders.js'), { file: 'src/routes/orders.js', inWorkspace: true, via: 'workspace' });
    assert.equal(win('D:\\build\\lib\\db.js').file, 'lib/db.js');
    const unix = createPathMapper({ workspace: '/w', mounts: [{ destination: '/app', source: '/w' }] });
    assert.equal(unix('file:///app/lib/db.js').file, 'lib/db.js');
  });

  it('mapTrace maps every frame, causes included, on a real uvicorn trace', () => {
    const text = readFileSync(join(import.meta.dirname, '../fixtures/traces/py-fastapi-uvicorn.txt'), 'utf8');
    const [, integrity] = extractTraces(text);
    const mapped = mapTrace(integrity!, createPathMapper({ workspace: '/home/dev/shop', mounts: [{ destination: '/srv', source: '/home/dev/shop' }] }));
    const inWs = mapped.frames.filter((f) => f.inWorkspace);
    assert.deepEqual(inWs.map((f) => [f.file, f.rawFile, f.line]), [
      ['app/main.py', '/srv/app/main.py', 15],
      ['app/services.py', '/srv/app/services.py', 27],
    ]);
    assert.equal(mapped.causes[0]!.frames.every((f) => !f.inWorkspace), true);
    assert.deepEqual([topWorkspaceFrame(mapped)!.file, topWorkspaceFrame(mapped)!.line], ['app/services.py', 27]);
    assert.equal(integrity!.frames.some((f) => f.inWorkspace), false, 'the input is not changed');
  });
});

describe('listing workspace files', () => {
  const root = mkdtempSync(join(tmpdir(), 'ws-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('skips dependency and cache folders, does not follow links, and stops at the bound', async () => {
    for (const d of ['app', 'node_modules/x', '.git', '.venv/lib', 'app/__pycache__', 'dist', 'deep/a/b']) mkdirSync(join(root, d), { recursive: true });
    for (const f of ['app/main.py', 'node_modules/x/i.js', '.git/HEAD', '.venv/lib/s.py', 'app/__pycache__/m.pyc', 'dist/o.js', 'deep/a/b/c.py', 'README.md']) {
      writeFileSync(join(root, f), '');
    }
    symlinkSync('/usr', join(root, 'usr-link'));
    assert.deepEqual(await listWorkspaceFiles(root), ['README.md', 'app/main.py', 'deep/a/b/c.py']);
    assert.deepEqual(await listWorkspaceFiles(root, { maxFiles: 2 }), ['README.md', 'app/main.py']);
    assert.deepEqual(await listWorkspaceFiles(join(root, 'missing')), []);
  });
});
