/**
 * Streaming trace detection over log text. Feed chunks (`write`) or whole lines (`writeLine`);
 * traces are handed to the callback as soon as they end. Memory stays bounded: at most one
 * partial line and one trace in progress are held.
 */
import type { Trace } from '../model';
import { LIMITS, type TraceReader } from './reader';
import { defaultRegistry, type ParserRegistry } from './registry';

export interface ScannedTrace {
  trace: Trace;
  /** The time given with the trace's first line (NaN when lines came without times). */
  time: number;
}

interface HeldLine {
  text: string;
  time: number;
}

export class TraceScanner {
  private readonly registry: ParserRegistry;
  private readonly markers: string[];
  private readonly markerAt: number[];
  private carry = '';
  private reader: TraceReader | undefined;
  private readerTime = NaN;
  /** Lines held while the reader is not yet confirmed, for replay if it rejects. */
  private held: HeldLine[] = [];
  private ended = false;

  constructor(
    private readonly onTrace: (found: ScannedTrace) => void,
    registry: ParserRegistry = defaultRegistry(),
  ) {
    this.registry = registry;
    this.markers = registry.markers();
    this.markerAt = this.markers.map(() => -1);
  }

  /** Feed a chunk of text; lines may span chunks. */
  write(chunk: string): void {
    if (this.ended) throw new Error('TraceScanner: write after end');
    let text = this.carry.length > 0 ? this.carry + chunk : chunk;
    this.carry = '';
    this.markerAt.fill(-1);
    let pos = 0;
    const n = text.length;
    while (pos < n) {
      if (this.reader === undefined) {
        // Idle: jump straight to the next line that holds a marker.
        const hit = this.nextMarker(text, pos);
        if (hit < 0) {
          const lastNl = text.lastIndexOf('\n');
          if (lastNl + 1 > pos) pos = lastNl + 1;
          break;
        }
        const start = text.lastIndexOf('\n', hit) + 1;
        pos = start > pos ? start : pos;
      }
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      this.line(text.slice(pos, nl), NaN);
      pos = nl + 1;
    }
    if (pos < n) {
      // Keep the partial last line, cut to a bound: a trace line longer than that is cut anyway.
      this.carry = text.slice(pos, pos + LIMITS.maxLineLength * 2);
    }
    text = '';
  }

  /** Feed one whole line (without its newline). */
  writeLine(text: string, time = NaN): void {
    if (this.ended) throw new Error('TraceScanner: write after end');
    if (this.reader === undefined && !this.hasMarker(text)) return;
    this.line(text, time);
  }

  /** Flush: the trace in progress, if any, is emitted. */
  end(): void {
    if (this.ended) return;
    if (this.carry.length > 0) {
      const rest = this.carry;
      this.carry = '';
      if (this.reader !== undefined || this.hasMarker(rest)) this.line(rest, NaN);
    }
    let guard = 0;
    while (this.reader !== undefined && guard++ < LIMITS.maxUnconfirmedLines + 2) this.close();
    this.ended = true;
  }

  private nextMarker(text: string, from: number): number {
    let best = -1;
    for (let i = 0; i < this.markers.length; i++) {
      let at = this.markerAt[i]!;
      if (at !== -2 && at < from) {
        at = text.indexOf(this.markers[i]!, from);
        this.markerAt[i] = at < 0 ? -2 : at;
      }
      if (at >= 0 && (best < 0 || at < best)) best = at;
    }
    return best;
  }

  private hasMarker(line: string): boolean {
    for (const m of this.markers) if (line.includes(m)) return true;
    return false;
  }

  private line(raw: string, time: number): void {
    let text = raw.length > LIMITS.maxLineLength ? raw.slice(0, LIMITS.maxLineLength) : raw;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const queue: HeldLine[] = [{ text, time }];
    let guard = 0;
    while (queue.length > 0 && guard++ < 10_000) {
      const cur = queue.shift()!;
      if (this.reader === undefined) {
        this.start(cur);
        continue;
      }
      const verdict = this.reader.push(cur.text);
      if (verdict === 'accept') {
        if (!this.reader.confirmed) {
          this.held.push(cur);
          if (this.held.length > LIMITS.maxUnconfirmedLines) queue.unshift(...this.reject());
        } else {
          this.held.length = 0;
        }
        continue;
      }
      if (verdict === 'reject' || !this.reader.confirmed) {
        queue.unshift(...this.reject(), cur);
        continue;
      }
      this.emit();
      queue.unshift(cur);
    }
  }

  private start(cur: HeldLine): void {
    if (!this.hasMarker(cur.text)) return;
    for (const p of this.registry.parsers) {
      if (!p.detect(cur.text)) continue;
      const reader = p.begin(cur.text);
      if (!reader) continue;
      this.reader = reader;
      this.readerTime = cur.time;
      this.held = reader.confirmed ? [] : [cur];
      return;
    }
  }

  /** Drop the unconfirmed reader; returns the lines after its first, to be read again. */
  private reject(): HeldLine[] {
    const replay = this.held.slice(1);
    this.held = [];
    this.reader = undefined;
    return replay;
  }

  private emit(): void {
    const reader = this.reader!;
    this.reader = undefined;
    this.held = [];
    const trace = reader.finish();
    if (trace) this.onTrace({ trace, time: this.readerTime });
  }

  /** At the end of input: emit a confirmed trace, or replay an unconfirmed one's lines. */
  private close(): void {
    const reader = this.reader!;
    if (reader.confirmed) {
      this.emit();
      return;
    }
    const replay = this.reject();
    for (const l of replay) this.line(l.text, l.time);
  }
}
