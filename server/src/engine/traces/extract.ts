import type { LogLine, Trace } from '../model';
import type { ParserRegistry } from './registry';
import { TraceScanner } from './scanner';

/**
 * Every trace in a block of log text, as pasted or captured: colour codes, `docker logs -t`
 * timestamps, compose and other service prefixes are read through, and traces that two sources
 * interleave are read apart. In the order they end (one source's traces in the order they
 * appear). Frames carry raw paths (`inWorkspace: false`).
 */
export function extractTraces(text: string, registry?: ParserRegistry): Trace[] {
  const out: Trace[] = [];
  const scanner = new TraceScanner((f) => out.push(f.trace), registry);
  scanner.write(typeof text === 'string' ? text : String(text ?? ''));
  if (!text.endsWith('\n')) scanner.write('\n');
  scanner.end();
  return out;
}

/**
 * Every trace in timestamped log lines, each with the time of its first line, in time order.
 * stdout and stderr are read apart, so a trace on stderr survives access-log lines that
 * stdout interleaves with it.
 */
export function extractTracesFromLines(
  lines: readonly LogLine[],
  registry?: ParserRegistry,
): Array<{ trace: Trace; time: number }> {
  const out: Array<{ trace: Trace; time: number; seq: number }> = [];
  let seq = 0;
  const scanners = new Map<string, TraceScanner>();
  for (const l of lines) {
    const key = l.stream === 'stdout' ? 'stdout' : 'stderr';
    let s = scanners.get(key);
    if (!s) {
      s = new TraceScanner((f) => out.push({ trace: f.trace, time: f.time, seq: seq++ }), registry);
      scanners.set(key, s);
    }
    const text = typeof l.text === 'string' ? l.text : '';
    // A log line may itself hold several lines (a runtime that does not split them).
    if (text.includes('\n')) for (const part of text.split('\n')) s.writeLine(part, l.time);
    else s.writeLine(text, l.time);
  }
  for (const s of scanners.values()) s.end();
  out.sort((a, b) => (a.time - b.time) || (a.seq - b.seq));
  return out.map(({ trace, time }) => ({ trace, time }));
}
