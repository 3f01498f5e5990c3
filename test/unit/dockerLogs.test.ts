import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { demultiplexDockerLogs, parseTimestamped } from '../../server/src/engine/runtime/dockerLogs';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

test('stdout and stderr frames are split apart and timestamps parsed to the millisecond', () => {
  const raw = Buffer.concat([
    frame(1, '2026-11-21T07:16:00.123456789Z INFO: started\n'),
    frame(2, '2026-11-21T07:16:00.200000000Z Traceback (most recent call last):\n2026-11-21T07:16:00.200100000Z   File "/app/x.py", line 1, in <module>\n'),
    frame(1, '2026-11-21T07:16:01.000000000Z GET / 200\n'),
  ]);
  const lines = demultiplexDockerLogs(raw, false);
  assert.deepEqual(
    lines.map((l) => [l.stream, l.text, l.time]),
    [
      ['stdout', 'INFO: started', Date.parse('2026-11-21T07:16:00.123Z')],
      ['stderr', 'Traceback (most recent call last):', Date.parse('2026-11-21T07:16:00.200Z')],
      ['stderr', '  File "/app/x.py", line 1, in <module>', Date.parse('2026-11-21T07:16:00.200Z')],
      ['stdout', 'GET / 200', Date.parse('2026-11-21T07:16:01.000Z')],
    ],
  );
});

test('a line split across two frames is joined', () => {
  const raw = Buffer.concat([frame(2, '2026-11-21T07:16:00.000Z Key'), frame(2, "Error: 'price'\n")]);
  assert.deepEqual(demultiplexDockerLogs(raw, false).map((l) => l.text), ["KeyError: 'price'"]);
});

test('a TTY container has one raw stream', () => {
  const raw = Buffer.from('2026-11-21T07:16:00.000Z hello\r\n2026-11-21T07:16:00.500Z world\n');
  const lines = demultiplexDockerLogs(raw, true);
  assert.deepEqual(lines.map((l) => [l.stream, l.text]), [['stdout', 'hello'], ['stdout', 'world']]);
});

test('offsets in timestamps are honoured; lines without one get time 0', () => {
  assert.equal(parseTimestamped('2026-11-21T08:16:00.5+01:00 x', 'stdout').time, Date.parse('2026-11-21T07:16:00.500Z'));
  assert.deepEqual(parseTimestamped('no time here', 'stderr'), { time: 0, stream: 'stderr', text: 'no time here' });
});

test('truncated and random streams never throw', () => {
  const good = Buffer.concat([frame(1, '2026-11-21T07:16:00.000Z a\n'), frame(2, '2026-11-21T07:16:00.000Z b\n')]);
  for (let cut = 0; cut <= good.length; cut++) demultiplexDockerLogs(good.subarray(0, cut), false);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (bytes, tty) => {
      const lines = demultiplexDockerLogs(Buffer.from(bytes), tty);
      return lines.every((l) => typeof l.text === 'string' && Number.isFinite(l.time));
    }),
  );
});
