/**
 * Python tracebacks: `Traceback (most recent call last):`, `File "...", line N, in fn` frames with
 * their source line, 3.11+ caret lines, chained exceptions, SyntaxError blocks, exception groups,
 * dotted exception classes and multi-line messages.
 */
import type { Frame, Trace } from '../model';
import { isBlank, isLogLine } from './noise';
import { LIMITS, pushFrame, TextCollector, type TraceParser, type TraceReader, type Verdict } from './reader';

const HEADER = 'Traceback (most recent call last):';
const GROUP_HEADER = 'Exception Group Traceback (most recent call last):';
const CAUSE_SEPARATOR = 'The above exception was the direct cause of the following exception:';
const CONTEXT_SEPARATOR = 'During handling of the above exception, another exception occurred:';

const FRAME = /^\s*File "(.*)", line (-?\d+)(?:, in (.*?))?\s*$/;
const CARET = /^\s*[~^]+[\s~^]*$/;
const EXCEPTION = /^([A-Za-z_][\w.]*)(?:: ?(.*))?$/;
const EXCEPTIONISH = /(?:Error|Exception|Exit|Interrupt|Iteration|Warning|Group|Timeout|Cancelled|Denied|NotFound|Invalid)$|\./;
const LEVEL_WORD = /^(?:INFO|WARN|WARNING|ERROR|DEBUG|TRACE|FATAL|CRITICAL|NOTICE|Note|Usage|Hint)$/;
const GROUP_LINE = /^(\s*)([+|])(.*)$/;
const GROUP_BOUNDARY = /^\s*(?:[+|]-|-)[-+ \d.]*(?:more exceptions)?[-+ \d.]*$/;

interface Segment {
  exceptionClass: string;
  message: string;
  frames: Frame[];
  /** How this exception relates to the next one in the chain. */
  relation?: 'cause' | 'context';
}

type State = 'frames' | 'message' | 'gap' | 'chain' | 'syntax';

function newSegment(): Segment {
  return { exceptionClass: '', message: '', frames: [] };
}

/** Parses a candidate exception line: `pkg.mod.Error: message` or a bare exception name. */
function parseExceptionLine(line: string): { cls: string; message: string } | undefined {
  if (line.length === 0 || line.charCodeAt(0) <= 32) return undefined;
  const m = EXCEPTION.exec(line);
  if (!m) return undefined;
  const cls = m[1]!;
  if (LEVEL_WORD.test(cls)) return undefined;
  if (m[2] === undefined) {
    if (!EXCEPTIONISH.test(cls)) return undefined;
    return { cls, message: '' };
  }
  return { cls, message: m[2] };
}

class PythonReader implements TraceReader {
  confirmed: boolean;
  private state: State;
  private segments: Segment[] = [newSegment()];
  private text = new TextCollector();
  private messageLines = 0;
  private lines = 0;
  private skipped = 0;
  private blanks = 0;
  private pendingRelation: 'cause' | 'context' | undefined;
  /** Whether the last frame still waits for its source line. */
  private wantCode = false;
  private group: boolean;

  constructor(
    first: string,
    private readonly prefix: string,
    kind: 'traceback' | 'group' | 'syntax',
  ) {
    this.text.add(first);
    this.group = kind === 'group';
    if (kind === 'syntax') {
      this.confirmed = false;
      this.state = 'syntax';
      this.addFrame(first);
    } else {
      this.confirmed = true;
      this.state = 'frames';
    }
  }

  private get current(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private addFrame(line: string): boolean {
    const m = FRAME.exec(line);
    if (!m) return false;
    const lineNo = Number(m[2]);
    this.wantCode = true;
    if (!(lineNo >= 1) || !Number.isSafeInteger(lineNo)) return true;
    pushFrame(this.current.frames, {
      file: m[1]!,
      rawFile: m[1]!,
      line: lineNo,
      function: m[3] ?? '<module>',
      inWorkspace: false,
    });
    return true;
  }

  private startSegment(relation: 'cause' | 'context'): void {
    if (this.segments.length >= LIMITS.maxChain) this.segments.shift();
    this.current.relation = relation;
    this.segments.push(newSegment());
    this.messageLines = 0;
    this.wantCode = false;
  }

  push(raw: string): Verdict {
    if (++this.lines > LIMITS.maxTraceLines) return 'end';
    let line = this.prefix && raw.startsWith(this.prefix) ? raw.slice(this.prefix.length) : raw;
    if (this.group) {
      const g = GROUP_LINE.exec(line);
      if (!g) return this.state === 'frames' && isLogLine(line) ? this.skip(raw) : 'end';
      if (GROUP_BOUNDARY.test(line)) {
        this.text.add(raw);
        // `+-+---- 1 ----` opens the members; `+------------` alone closes the group.
        if (/\d/.test(line)) {
          this.state = 'chain';
          this.pendingRelation = 'context';
        }
        return 'accept';
      }
      // Strip one level of decoration, then any inner levels (nested groups).
      line = g[3]!.startsWith(' ') ? g[3]!.slice(1) : g[3]!;
      let inner: RegExpExecArray | null;
      while ((inner = GROUP_LINE.exec(line)) && !FRAME.test(line) && !line.trimStart().startsWith('Traceback')) {
        if (GROUP_BOUNDARY.test(line)) {
          this.text.add(raw);
          if (/\d/.test(line)) {
            this.state = 'chain';
            this.pendingRelation = 'context';
          }
          return 'accept';
        }
        if (inner[2] === '+' && !inner[3]!.includes('Exception Group')) break;
        line = inner[3]!.startsWith(' ') ? inner[3]!.slice(1) : inner[3]!;
      }
      if (line.trimStart().startsWith('+ Exception Group')) line = line.trimStart().slice(2);
    }
    const verdict = this.step(line);
    if (verdict === 'accept') this.text.add(raw);
    return verdict;
  }

  private skip(raw: string): Verdict {
    if (++this.skipped > 64) return 'end';
    void raw;
    return 'accept';
  }

  private step(line: string): Verdict {
    switch (this.state) {
      case 'syntax':
        return this.stepSyntax(line);
      case 'frames':
        return this.stepFrames(line);
      case 'message':
        return this.stepMessage(line);
      case 'gap':
        return this.stepGap(line);
      case 'chain':
        return this.stepChain(line);
    }
  }

  private stepSyntax(line: string): Verdict {
    if (this.lines > 6) return 'reject';
    if (CARET.test(line)) return 'accept';
    if (line.startsWith('    ')) {
      const last = this.current.frames[this.current.frames.length - 1];
      if (last && last.code === undefined) last.code = line.trim();
      return 'accept';
    }
    const exc = parseExceptionLine(line);
    if (exc) {
      this.confirmed = true;
      return this.setException(exc);
    }
    return 'reject';
  }

  private stepFrames(line: string): Verdict {
    if (line.length === 0) return this.current.frames.length > 0 || this.wantCode ? 'accept' : 'end';
    const c = line.charCodeAt(0);
    if (c === 32 || c === 9) {
      if (this.addFrame(line)) return 'accept';
      if (CARET.test(line)) return 'accept';
      const frames = this.current.frames;
      if (this.wantCode && line.startsWith('    ')) {
        const last = frames[frames.length - 1];
        if (last && last.code === undefined) last.code = line.trim();
        return 'accept';
      }
      // `[Previous line repeated N more times]`, `...<3 lines>...`, extra source lines.
      if (isLogLine(line)) return this.skip(line);
      return 'accept';
    }
    if (line === HEADER || line === GROUP_HEADER) {
      // A new traceback without a separator: this one ended without its exception line.
      return this.current.frames.length > 0 ? 'end' : 'accept';
    }
    if (isLogLine(line)) return this.skip(line);
    const exc = parseExceptionLine(line);
    if (exc) return this.setException(exc);
    return this.skip(line);
  }

  private setException(exc: { cls: string; message: string }): Verdict {
    this.current.exceptionClass = exc.cls;
    this.current.message = exc.message.slice(0, LIMITS.maxTraceText);
    this.state = 'message';
    this.messageLines = 1;
    this.wantCode = false;
    return 'accept';
  }

  private separator(line: string): 'cause' | 'context' | undefined {
    const t = line.trim();
    if (t === CAUSE_SEPARATOR) return 'cause';
    if (t === CONTEXT_SEPARATOR) return 'context';
    return undefined;
  }

  private stepMessage(line: string): Verdict {
    const sep = this.separator(line);
    if (sep) return this.chainTo(sep);
    if (isBlank(line)) {
      this.state = 'gap';
      this.blanks = 1;
      return 'accept';
    }
    if (
      this.messageLines >= LIMITS.maxMessageLines ||
      isLogLine(line) ||
      line.includes(HEADER) ||
      FRAME.test(line)
    ) {
      return 'end';
    }
    this.messageLines++;
    const seg = this.current;
    if (seg.message.length < 4096) seg.message += `\n${line}`;
    return 'accept';
  }

  private chainTo(relation: 'cause' | 'context'): Verdict {
    this.pendingRelation = relation;
    this.state = 'chain';
    return 'accept';
  }

  private stepGap(line: string): Verdict {
    const sep = this.separator(line);
    if (sep) return this.chainTo(sep);
    if (isBlank(line) && ++this.blanks <= 3) return 'accept';
    return 'end';
  }

  private stepChain(line: string): Verdict {
    if (isBlank(line)) return 'accept';
    const t = line.trimStart();
    if (t === HEADER || t === GROUP_HEADER || t === `+ ${GROUP_HEADER}`) {
      this.startSegment(this.pendingRelation ?? 'context');
      this.state = 'frames';
      return 'accept';
    }
    if (FRAME.test(line)) {
      // A SyntaxError block chained without its own header.
      this.startSegment(this.pendingRelation ?? 'context');
      this.state = 'frames';
      return this.stepFrames(line);
    }
    return 'end';
  }

  finish(): Trace | undefined {
    if (!this.confirmed) return undefined;
    const segs = this.segments.filter((s) => s.exceptionClass !== '' || s.frames.length > 0);
    if (segs.length === 0) return undefined;
    for (const s of segs) if (s.exceptionClass === '') s.exceptionClass = 'UnknownException';
    // A group reports itself first and its members after; a chain reports the outermost last.
    const main = this.group ? segs[0]! : segs[segs.length - 1]!;
    const rest = this.group ? segs.slice(1) : segs.slice(0, -1);
    return {
      language: 'python',
      exceptionClass: main.exceptionClass,
      message: main.message,
      frames: main.frames,
      causes: rest.map((s) => ({
        exceptionClass: s.exceptionClass,
        message: s.message,
        frames: s.frames,
        relation: this.group ? 'context' : (s.relation ?? 'context'),
      })),
      text: this.text.toString(),
    };
  }
}

export const pythonParser: TraceParser = {
  language: 'python',
  markers: ['Traceback', 'File "'],
  detect(line) {
    return line.includes('Traceback (most recent call last):') || FRAME.test(line);
  },
  begin(line) {
    let i = line.indexOf(GROUP_HEADER);
    if (i >= 0) {
      const plus = line.lastIndexOf('+', i);
      const before = plus >= 0 ? line.slice(0, plus) : line.slice(0, i);
      return new PythonReader(line, before.trim() === '' ? '' : before.trimEnd(), 'group');
    }
    i = line.indexOf(HEADER);
    if (i >= 0) {
      if (line.slice(i + HEADER.length).trim() !== '') return undefined;
      const before = line.slice(0, i);
      return new PythonReader(line, before, 'traceback');
    }
    const m = FRAME.exec(line);
    if (m && m[3] === undefined) return new PythonReader(line, '', 'syntax');
    return undefined;
  },
};
