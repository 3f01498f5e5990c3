/**
 * Node/V8 stacks: `TypeError: msg` then `    at fn (file:line:col)` frames, including `async`,
 * `new`, `node:internal` and `file://` frames, `{ [cause]: ... }` blocks printed by
 * util.inspect, and `Error: Cannot find module 'x'` with its `Require stack:` list.
 */
import type { Frame, Trace } from '../model';
import { isBlank, isLogLine } from './noise';
import { LIMITS, pushFrame, TextCollector, type TraceParser, type TraceReader, type Verdict } from './reader';

const HEADER =
  /(?:^|[\s:[\]'"(])(?:Uncaught )?((?:[A-Za-z_$][\w$]*\.)*[A-Za-z_$]?[\w$]*(?:Error|Exception))(?: \[([A-Z][A-Z0-9_]*)\])?(?::(?: (.*))?)?$/;
const AT = /^\s+at (.*?)\s*$/;
const LOCATION = /^(.*?):(\d+)(?::(\d+))?$/;
const CAUSE = /^\s*\[cause\]: (.*)$/;
const ELIDED = /^\s*\.\.\. \d+ lines? matching cause stack trace \.\.\.\s*$/;

interface Segment {
  exceptionClass: string;
  message: string;
  frames: Frame[];
}

/** Parses the part after `at `: `fn (loc)`, `async fn (loc)`, `new X (loc)`, or a bare `loc`. */
export function parseNodeFrame(rest: string): Frame | undefined {
  let fn = '<anonymous>';
  let loc = rest;
  if (rest.endsWith(')')) {
    const open = rest.indexOf(' (');
    if (open > 0) {
      fn = rest.slice(0, open);
      loc = rest.slice(open + 2, -1);
    } else if (rest.startsWith('(')) {
      loc = rest.slice(1, -1);
    }
  }
  if (fn.startsWith('async ')) fn = fn.slice(6);
  if (loc.startsWith('async ')) loc = loc.slice(6);
  if (loc.startsWith('eval at ')) {
    const inner = /\(([^()]*?):(\d+):(\d+)\)/.exec(loc);
    if (!inner) return undefined;
    loc = `${inner[1]}:${inner[2]}:${inner[3]}`;
  }
  const m = LOCATION.exec(loc);
  if (!m) return undefined;
  const line = Number(m[2]);
  if (!(line >= 1) || !Number.isSafeInteger(line)) return undefined;
  const column = m[3] === undefined ? undefined : Number(m[3]);
  const file = m[1]!;
  if (file === '' || file === '<anonymous>' || file === 'native') return undefined;
  const frame: Frame = { file, rawFile: file, line, function: fn, inWorkspace: false };
  if (column !== undefined && column >= 1 && Number.isSafeInteger(column)) frame.column = column;
  return frame;
}

function parseHeader(line: string): { cls: string; message: string } | undefined {
  const m = HEADER.exec(line);
  if (!m) return undefined;
  // A Node error code (`TypeError [ERR_X]: ...`) stays with the message, as Node prints it.
  return { cls: m[1]!, message: m[2] ? `[${m[2]}] ${m[3] ?? ''}`.trim() : (m[3] ?? '') };
}

type State = 'message' | 'frames' | 'props' | 'closed';

class NodeReader implements TraceReader {
  confirmed = false;
  private state: State = 'message';
  private segments: Segment[];
  private text = new TextCollector();
  private messageLines = 1;
  private lines = 0;

  constructor(first: string, header: { cls: string; message: string }) {
    this.segments = [{ exceptionClass: header.cls, message: header.message, frames: [] }];
    this.text.add(first);
  }

  private get current(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private addFrame(rest: string): void {
    const frame = parseNodeFrame(rest);
    if (frame) pushFrame(this.current.frames, frame);
  }

  push(line: string): Verdict {
    if (++this.lines > LIMITS.maxTraceLines) return 'end';
    const v = this.step(line);
    if (v === 'accept') this.text.add(line);
    return v;
  }

  private step(line: string): Verdict {
    switch (this.state) {
      case 'message':
        return this.stepMessage(line);
      case 'frames':
        return this.stepFrames(line);
      case 'props':
        return this.stepProps(line);
      case 'closed':
        return 'end';
    }
  }

  private stepMessage(line: string): Verdict {
    const at = AT.exec(line);
    if (at) {
      this.confirmed = true;
      this.state = 'frames';
      return this.stepFrames(line);
    }
    if (++this.messageLines > LIMITS.maxMessageLines || isLogLine(line) || line.includes('Traceback (most recent')) {
      return 'reject';
    }
    if (HEADER.test(line) && !line.startsWith('Require stack:')) return 'reject';
    const seg = this.current;
    if (seg.message.length < 4096) seg.message += `\n${line}`;
    return 'accept';
  }

  private stepFrames(line: string): Verdict {
    const at = AT.exec(line);
    if (at) {
      let rest = at[1]!;
      const opensProps = rest.endsWith(' {');
      if (opensProps) rest = rest.slice(0, -2);
      this.addFrame(rest);
      if (opensProps) this.state = 'props';
      return 'accept';
    }
    if (ELIDED.test(line)) return 'accept';
    return 'end';
  }

  private stepProps(line: string): Verdict {
    if (line.startsWith('}')) {
      this.state = 'closed';
      return 'accept';
    }
    if (isLogLine(line) && !line.startsWith(' ')) return 'end';
    const cause = CAUSE.exec(line);
    if (cause) {
      const header = parseHeader(cause[1]!);
      if (header && this.segments.length < LIMITS.maxChain) {
        this.segments.push({ exceptionClass: header.cls, message: header.message, frames: [] });
      }
      return 'accept';
    }
    const at = AT.exec(line);
    if (at && this.segments.length > 1) {
      this.addFrame(at[1]!.endsWith(' {') ? at[1]!.slice(0, -2) : at[1]!);
    }
    return 'accept';
  }

  finish(): Trace | undefined {
    if (!this.confirmed) return undefined;
    const [main, ...causes] = this.segments;
    const seg = main!;
    return {
      language: 'node',
      exceptionClass: seg.exceptionClass,
      message: seg.message,
      frames: seg.frames,
      // Inspect prints the outer error first and its causes nested below: oldest is the deepest.
      causes: causes.reverse().map((c) => ({ ...c, relation: 'cause' as const })),
      text: this.text.toString(),
    };
  }
}

export const nodeParser: TraceParser = {
  language: 'node',
  markers: ['Error', 'Exception'],
  detect(line) {
    return HEADER.test(line);
  },
  begin(line) {
    if (isBlank(line) || AT.test(line)) return undefined;
    const header = parseHeader(line);
    return header ? new NodeReader(line, header) : undefined;
  },
};
