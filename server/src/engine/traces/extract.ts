import type { LogLine, Trace } from '../model';
import type { ParserRegistry } from './registry';
import { stripLogDecorations } from './decorations';
import { jsonTexts, STACK_KEY } from './json';
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
    const inRecord = jsonRecordTrace(text);
    if (inRecord) {
      out.push({ trace: inRecord, time: l.time, seq: seq++ });
      continue;
    }
    // A log line may itself hold several lines (a runtime that does not split them).
    if (text.includes('\n')) for (const part of text.split('\n')) s.writeLine(part, l.time);
    else s.writeLine(text, l.time);
  }
  for (const s of scanners.values()) s.end();
  out.sort((a, b) => (a.time - b.time) || (a.seq - b.seq));
  return out.map(({ trace, time }) => ({ trace, time }));
}

/** Quick test before parsing: a JSON record with an escaped newline in it. */
const JSON_RECORD = /^\{.*\\n.*\}\s*$/;
/** Longest log line read as a JSON record. */
const MAX_RECORD_CHARS = 1024 * 1024;

/**
 * The trace a JSON logger's record carries (`{"level":"error","exc_info":"Traceback ...\n  File ..."}`,
 * pino's `{"err":{"type":"TypeError","stack":"TypeError: ...\n    at ..."}}`), or undefined.
 */
function jsonRecordTrace(line: string): Trace | undefined {
  if (line.length > MAX_RECORD_CHARS || line.indexOf('{') < 0 || line.indexOf('\\n') < 0) return undefined;
  const record = stripLogDecorations(line).text.trim();
  if (!JSON_RECORD.test(record) || !STACK_KEY.test(record)) return undefined;
  for (const text of jsonTexts(record)) {
    if (!text.includes('\n')) continue;
    const found = extractTraces(text).filter((t) => t.frames.length > 0);
    if (found.length) return found[found.length - 1];
  }
  return undefined;
}
