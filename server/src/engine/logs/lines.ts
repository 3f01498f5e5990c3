import type { LogLine } from '../model';

/** Longer lines are cut to this many characters: the trace readers cut at 8 KiB anyway. */
export const MAX_LINE_CHARS = 16 * 1024;

/**
 * Splits a stream of text into lines: a line ends at `\n` (a `\r` before it is dropped, so CRLF
 * logs read like LF ones), and a partial last line waits for the rest of it. A line that never
 * ends is cut at MAX_LINE_CHARS and the rest of it, up to its newline, is dropped, so memory stays
 * bounded whatever the writer does.
 */
export class LineSplitter {
  private pending = '';
  /** Characters of the current line dropped because it is over the bound. */
  private overflow = false;
  /** Drop everything up to the next newline (the tail of a line written before we looked). */
  private skipping = false;

  /** Discard the text up to and including the next newline. */
  skipToNextLine(): void {
    this.skipping = true;
  }

  /** Whether a partial line is held. */
  get hasPartial(): boolean {
    return this.pending.length > 0;
  }

  /** Feed text; returns the lines it completed. */
  write(text: string): string[] {
    const out: string[] = [];
    let pos = 0;
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      const end = nl < 0 ? text.length : nl;
      if (this.skipping) {
        if (nl < 0) break;
        this.skipping = false;
        pos = nl + 1;
        continue;
      }
      if (!this.overflow) {
        this.pending += text.slice(pos, Math.min(end, pos + MAX_LINE_CHARS - this.pending.length + 1));
        if (this.pending.length > MAX_LINE_CHARS) {
          this.pending = this.pending.slice(0, MAX_LINE_CHARS);
          this.overflow = true;
        }
      }
      if (nl < 0) break;
      out.push(this.take());
      pos = nl + 1;
    }
    return out;
  }

  /** The partial line held, as a line of its own (undefined when none); the splitter starts afresh. */
  flush(): string | undefined {
    this.skipping = false;
    if (this.pending.length === 0 && !this.overflow) return undefined;
    return this.take();
  }

  private take(): string {
    const line = this.pending.endsWith('\r') ? this.pending.slice(0, -1) : this.pending;
    this.pending = '';
    this.overflow = false;
    return line;
  }
}

/**
 * Log lines with the time each arrived, bounded in count and characters: the oldest are dropped
 * first (in batches, so a full store costs no more per line than an empty one).
 */
export class LineStore {
  private lines: LogLine[] = [];
  private chars = 0;

  constructor(
    readonly maxLines = 100_000,
    readonly maxChars = 32 * 1024 * 1024,
  ) {}

  push(stream: LogLine['stream'], text: string, time = Date.now()): void {
    // Arrival times never go backwards, even when the clock does: `between` relies on the order.
    const last = this.lines.length ? this.lines[this.lines.length - 1]!.time : time;
    this.lines.push({ time: Math.max(time, last), stream, text });
    this.chars += text.length;
    const slack = Math.max(1, this.maxLines >> 3);
    if (this.lines.length > this.maxLines + slack || this.chars > this.maxChars) this.trim();
  }

  private trim(): void {
    let drop = Math.max(0, this.lines.length - this.maxLines);
    let chars = this.chars;
    for (let i = 0; i < drop; i++) chars -= this.lines[i]!.text.length;
    while (chars > this.maxChars && drop < this.lines.length) chars -= this.lines[drop++]!.text.length;
    this.lines.splice(0, drop);
    this.chars = chars;
  }

  /** Lines that arrived between `since` and `until` (inclusive), oldest first. */
  between(since: number, until: number): LogLine[] {
    const lines = this.lines;
    let lo = 0;
    let hi = lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lines[mid]!.time < since) lo = mid + 1;
      else hi = mid;
    }
    const out: LogLine[] = [];
    for (let i = lo; i < lines.length && lines[i]!.time <= until; i++) out.push({ ...lines[i]! });
    return out;
  }

  /** The texts of the last `n` lines, for error reports. */
  tail(n: number): string[] {
    return this.lines.slice(-n).map((l) => l.text);
  }

  get size(): number {
    return this.lines.length;
  }
}
