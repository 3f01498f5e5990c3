import type { Trace, TraceLanguage } from '../model';

/**
 * What a reader says about the line it was offered.
 * - `accept`: the line belongs to the trace.
 * - `end`: the trace ended before this line; the line was not consumed.
 * - `reject`: the lines so far turned out not to be a trace (only before `confirmed`).
 */
export type Verdict = 'accept' | 'end' | 'reject';

/**
 * Reads one trace, line by line, after its parser recognised the first line. Lines come without
 * their log decorations (colour, timestamps, service prefixes: see decorations.ts), and only the
 * lines of the trace's own source when the log says where each line came from.
 */
export interface TraceReader {
  /**
   * `foreign` is set on a line that is a log record of its own (an access-log line, a JSON
   * record, a line with a logger's prefix the trace's lines do not have): a reader never takes it
   * into the trace, and decides whether the trace goes on past it.
   */
  push(line: string, foreign?: boolean): Verdict;
  /** True once enough was seen to be sure this is a trace. */
  readonly confirmed: boolean;
  /** The trace read so far; undefined when it was not one after all. */
  finish(): Trace | undefined;
}

/** A stack-trace format. Register more with `ParserRegistry.register`. */
export interface TraceParser {
  readonly language: TraceLanguage;
  /** Substrings of which one occurs in every line that can start a trace: the scanner skips the rest unread. */
  readonly markers: readonly string[];
  /** Cheap check on a line that holds a marker. */
  detect(line: string): boolean;
  /** Start reading at this line; undefined when it cannot start a trace. */
  begin(line: string): TraceReader | undefined;
}

/** Bounds that keep memory flat on any input. */
export const LIMITS = {
  /** Longer lines are cut to this many characters before parsing. */
  maxLineLength: 8_192,
  /** A trace's `text` keeps at most this many characters. */
  maxTraceText: 256 * 1024,
  /** Frames kept per exception: the outermost and innermost halves when there are more. */
  maxFrames: 512,
  /** Chained exceptions kept per trace. */
  maxChain: 32,
  /** Lines of a multi-line message. */
  maxMessageLines: 40,
  /** Lines a reader may hold before it must be confirmed. */
  maxUnconfirmedLines: 48,
  /** Lines a single trace may span. */
  maxTraceLines: 1_000_000,
  /** Lines in a row a reader may skip inside a trace (interleaved log lines) before it gives up. */
  maxSkippedLines: 64,
  /** Exceptions kept per trace, chains and group members together. */
  maxExceptions: 64,
  /** Frames kept per trace, over all its exceptions (frames past it are dropped). */
  maxTraceFrames: 4_096,
  /** Nesting of exception groups read (Python prints at most 10 levels). */
  maxGroupDepth: 32,
} as const;

/**
 * Collects the text of a trace up to `LIMITS.maxTraceText`. Blank lines are held until a line
 * follows them, so a trace's text never ends in the blank lines after it.
 */
export class TextCollector {
  private parts: string[] = [];
  private size = 0;
  private cut = false;
  private blanks = 0;

  add(line: string): void {
    if (this.cut) return;
    for (; this.blanks > 0; this.blanks--) this.push('');
    this.push(line);
  }

  addBlank(): void {
    if (!this.cut && this.parts.length > 0) this.blanks++;
  }

  private push(line: string): void {
    if (this.cut) return;
    if (this.size + line.length + 1 > LIMITS.maxTraceText) {
      this.cut = true;
      this.parts.push('[…]');
      return;
    }
    this.parts.push(line);
    this.size += line.length + 1;
  }

  get lineCount(): number {
    return this.parts.length;
  }

  toString(): string {
    return this.parts.join('\n');
  }
}

/** Adds a frame, keeping the outermost and innermost halves when over `LIMITS.maxFrames`. */
export function pushFrame<T>(frames: T[], frame: T): void {
  frames.push(frame);
  if (frames.length > LIMITS.maxFrames) frames.splice(LIMITS.maxFrames >> 1, 1);
}
