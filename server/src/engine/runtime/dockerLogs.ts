import type { LogLine } from '../model';

/**
 * Docker's log stream for a container without a TTY is multiplexed: each frame is an 8-byte header
 * (stream type in byte 0: 1 stdout, 2 stderr; payload length big-endian in bytes 4..7) then the payload.
 * With `timestamps: true` each line starts with an RFC 3339 time and a space.
 * A truncated or garbled stream yields the lines that could be read, never an exception.
 */
export function demultiplexDockerLogs(raw: Buffer, tty: boolean): LogLine[] {
  const chunks: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  if (tty || !looksMultiplexed(raw)) {
    chunks.stdout.push(raw);
  } else {
    let offset = 0;
    while (offset + 8 <= raw.length) {
      const type = raw[offset];
      const size = raw.readUInt32BE(offset + 4);
      const start = offset + 8;
      const end = Math.min(start + size, raw.length);
      chunks[type === 2 ? 'stderr' : 'stdout'].push(raw.subarray(start, end));
      offset = end;
    }
  }
  const lines: LogLine[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = Buffer.concat(chunks[stream]).toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      lines.push(parseTimestamped(line, stream));
    }
  }
  // Stable by time; within the same instant stdout and stderr keep their own order.
  return lines.sort((a, b) => a.time - b.time);
}

function looksMultiplexed(raw: Buffer): boolean {
  return raw.length >= 8 && (raw[0] === 1 || raw[0] === 2) && raw[1] === 0 && raw[2] === 0 && raw[3] === 0;
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d) /;

/** Split `2026-01-02T03:04:05.123456789Z text` into a time in ms and the text; lines without one get time 0. */
export function parseTimestamped(line: string, stream: 'stdout' | 'stderr'): LogLine {
  const m = TIMESTAMP.exec(line);
  if (!m) return { time: 0, stream, text: line.replace(/\r$/, '') };
  const fraction = m[2] ? m[2].slice(0, 4).padEnd(4, '0') : '';
  const time = Date.parse(`${m[1]}${fraction}${m[3]}`);
  return { time: Number.isNaN(time) ? 0 : time, stream, text: line.slice(m[0].length).replace(/\r$/, '') };
}
