/**
 * Streaming trace detection over log text. Feed chunks (`write`) or whole lines (`writeLine`);
 * traces are handed to the callback as soon as they end. Memory stays bounded: at most one
 * partial line, and one trace in progress per source (at most `MAX_ACTIVE` of them), are held.
 *
 * Every line is read without its decorations (colour, timestamps, service and level prefixes:
 * decorations.ts). Lines are read per source, so traces that two services interleave are read
 * apart; a log record that cuts into a trace (an access-log line, a JSON record, a line with a
 * logger's prefix the trace's own lines lack) is handed to the reader as foreign.
 */
import type { Trace } from '../model';
import { stripLogDecorations, type LogLineParts } from './decorations';
import { isForeignLine } from './noise';
import { LIMITS, type TraceReader } from './reader';
import { defaultRegistry, type ParserRegistry } from './registry';

/** The bounds, read once: they are looked at on every line. */
const { maxLineLength, maxUnconfirmedLines } = LIMITS;

export interface ScannedTrace {
  trace: Trace;
  /** The time given with the trace's first line (NaN when lines came without times). */
  time: number;
  /** The source its lines came from (`web-1` of a compose prefix), '' when the log does not say. */
  source: string;
}

/** Traces read at once, one per source; past this the oldest is closed. */
const MAX_ACTIVE = 16;

interface HeldLine {
  text: string;
  time: number;
}

/** The lines of one source. */
interface Channel {
  source: string;
  reader: TraceReader | undefined;
  /** When its trace began: the time of its first line, and its rank among the traces begun. */
  time: number;
  seq: number;
  /** Lines held while the reader is not yet confirmed, for replay if it rejects. */
  held: HeldLine[];
  /** The decoration kinds of the trace's first line, and of its first indented line. */
  startRecord: string;
  record: string | undefined;
}

export class TraceScanner {
  private readonly registry: ParserRegistry;
  private readonly markers: string[];
  private readonly markerAt: number[];
  private readonly channels = new Map<string, Channel>();
  private active = 0;
  private begun = 0;
  private carry = '';
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
      if (this.active === 0) {
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
      this.carry = text.slice(pos, pos + maxLineLength * 2);
    }
    text = '';
  }

  /** Feed one whole line (without its newline). */
  writeLine(text: string, time = NaN): void {
    if (this.ended) throw new Error('TraceScanner: write after end');
    if (this.active === 0 && !this.hasMarker(text)) return;
    this.line(text, time);
  }

  /** Flush: the traces in progress, if any, are emitted. */
  end(): void {
    if (this.ended) return;
    if (this.carry.length > 0) {
      const rest = this.carry;
      this.carry = '';
      if (this.active > 0 || this.hasMarker(rest)) this.line(rest, NaN);
    }
    let guard = 0;
    while (this.active > 0 && guard++ < 64 * (maxUnconfirmedLines + 2)) {
      for (const ch of [...this.channels.values()]) if (ch.reader) this.close(ch);
    }
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
    let text = raw.length > maxLineLength ? raw.slice(0, maxLineLength) : raw;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const parts = stripLogDecorations(text);
    let ch = this.channels.get(parts.source);
    if (!ch) {
      // A source with no trace in progress only matters for a line that can start one.
      if (!this.hasMarker(parts.text)) return;
      ch = { source: parts.source, reader: undefined, time: NaN, seq: 0, held: [], startRecord: '', record: undefined };
      this.channels.set(parts.source, ch);
    }
    const reader = ch.reader;
    if (reader !== undefined && reader.confirmed) {
      // The common case inside a trace: nothing held, nothing to replay.
      const verdict = reader.push(parts.text, this.isForeign(ch, parts));
      if (verdict === 'accept') return;
      if (verdict === 'end') this.emit(ch);
      else this.reject(ch);
    }
    this.feed(ch, [{ text, time }], parts);
  }

  /** Reads lines of one source; `parts` are the first line's, already taken apart. */
  private feed(ch: Channel, lines: HeldLine[], parts?: LogLineParts): void {
    const queue = lines;
    let first: LogLineParts | undefined = parts;
    let guard = 0;
    while (queue.length > 0 && guard++ < 10_000) {
      const cur = queue.shift()!;
      const d = first ?? stripLogDecorations(cur.text);
      first = undefined;
      if (ch.reader === undefined) {
        this.start(ch, cur, d);
        continue;
      }
      const verdict = ch.reader.push(d.text, this.isForeign(ch, d));
      if (verdict === 'accept') {
        if (!ch.reader.confirmed) {
          ch.held.push(cur);
          if (ch.held.length > maxUnconfirmedLines) queue.unshift(...this.reject(ch));
        } else {
          ch.held.length = 0;
        }
        continue;
      }
      if (verdict === 'reject' || !ch.reader.confirmed) {
        queue.unshift(...this.reject(ch), cur);
        continue;
      }
      this.emit(ch);
      queue.unshift(cur);
    }
    // A source with nothing in progress is forgotten: the map holds only active ones.
    if (ch.reader === undefined && this.channels.get(ch.source) === ch) this.channels.delete(ch.source);
  }

  /**
   * A line that is a log record of its own: by its shape, or by a logger's prefix the trace's own
   * lines do not carry (judged by the trace's first indented line, else its first line).
   */
  private isForeign(ch: Channel, d: LogLineParts): boolean {
    if (isForeignLine(d.text)) return true;
    const c = d.text.charCodeAt(0);
    if (ch.record === undefined && (c === 32 || c === 9)) ch.record = d.record;
    return d.record !== '' && d.record !== (ch.record ?? ch.startRecord);
  }

  private start(ch: Channel, cur: HeldLine, d: LogLineParts): void {
    if (!this.hasMarker(d.text)) return;
    for (const p of this.registry.parsers) {
      if (!p.detect(d.text)) continue;
      const reader = p.begin(d.text);
      if (!reader) continue;
      if (this.active >= MAX_ACTIVE) this.closeOldest();
      ch.reader = reader;
      ch.time = cur.time;
      ch.seq = this.begun++;
      ch.held = reader.confirmed ? [] : [cur];
      ch.startRecord = d.record;
      ch.record = undefined;
      this.active++;
      return;
    }
  }

  /** Too many sources with a trace in progress: the one begun first ends here. */
  private closeOldest(): void {
    let oldest: Channel | undefined;
    for (const ch of this.channels.values()) if (ch.reader && (!oldest || ch.seq < oldest.seq)) oldest = ch;
    if (!oldest) return;
    if (oldest.reader!.confirmed) this.emit(oldest);
    else this.reject(oldest);
    this.channels.delete(oldest.source);
  }

  /** Drop the unconfirmed reader; returns the lines after its first, to be read again. */
  private reject(ch: Channel): HeldLine[] {
    const replay = ch.held.slice(1);
    ch.held = [];
    ch.reader = undefined;
    this.active--;
    return replay;
  }

  private emit(ch: Channel): void {
    const reader = ch.reader!;
    ch.reader = undefined;
    ch.held = [];
    this.active--;
    const trace = reader.finish();
    if (trace) this.onTrace({ trace, time: ch.time, source: ch.source });
  }

  /** At the end of input: emit a confirmed trace, or replay an unconfirmed one's lines. */
  private close(ch: Channel): void {
    if (ch.reader!.confirmed) {
      this.emit(ch);
      this.channels.delete(ch.source);
      return;
    }
    const replay = this.reject(ch);
    this.channels.set(ch.source, ch);
    if (replay.length > 0) this.feed(ch, replay);
    else this.channels.delete(ch.source);
  }
}
