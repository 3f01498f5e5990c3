/**
 * Node/V8 stacks as `console.error(err)` and uncaught errors print them (util.inspect): a
 * `TypeError: msg` header (messages may span lines), `    at fn (file:line:col)` frames including
 * `async`, `new`, `node:internal` and `file://` frames, then a `{ ... }` block of properties that
 * holds `[cause]: Error ...` (nested as deep as the chain goes), `[errors]: [ ... ]` (an
 * AggregateError's members) and `code: '...'`. `... N lines matching cause stack trace ...` stands
 * for frames the error shares with its cause; they are put back from the cause's frames.
 * `Error: Cannot find module 'x'` keeps its `Require stack:` list in the message.
 */
import type { Frame } from '../model';
import { isBlank } from './noise';
import { LIMITS, pushFrame, TextCollector, type TraceParser, type TraceReader, type Verdict } from './reader';
import { newNode, toTrace, type ExceptionNode } from './tree';

/** The bounds, read once: they are looked at on every line. */
const { maxChain, maxExceptions, maxFrames, maxMessageLines, maxSkippedLines, maxTraceFrames, maxTraceLines } = LIMITS;

const ELIDED = /^\s*\.\.\. (\d{1,9}) lines? matching cause stack trace \.\.\.\s*$/;
const CAUSE_KEY = '[cause]: ';
const ERRORS_KEY = '[errors]: [';
const CODE = /^[A-Z][A-Z0-9_]*$/;
/** Longest class name looked at (`a.b.SomeError`). */
const MAX_CLASS = 200;

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
  const m = /^(.*?):(\d+)(?::(\d+))?$/.exec(loc);
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

function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c === 46;
}

/** The characters that may stand before a class name: start, space, `:`, brackets, quotes. */
function isDelimiter(c: number): boolean {
  return c === 32 || c === 9 || c === 58 || c === 91 || c === 93 || c === 39 || c === 34 || c === 40;
}

interface Header {
  cls: string;
  message: string;
  /** Where the class name starts in the line. */
  start: number;
}

/**
 * `SomeError: message`, `SomeError [ERR_CODE]: message` or a bare `SomeError` ending the line,
 * after the start of the line or a delimiter; the leftmost such class wins. A Node error code
 * stays with the message, as Node prints it (`[ERR_X] message`).
 */
function parseHeader(line: string): Header | undefined {
  let from = 0;
  for (;;) {
    const e = line.indexOf('Error', from);
    const x = line.indexOf('Exception', from);
    if (e < 0 && x < 0) return undefined;
    const i = e < 0 ? x : x < 0 ? e : Math.min(e, x);
    const end = i + (i === e ? 5 : 9);
    from = i + 1;
    const next = line.charCodeAt(end);
    if (isTokenChar(next) && next !== 46) continue;
    let s = i;
    while (s > 0 && i - s < MAX_CLASS && isTokenChar(line.charCodeAt(s - 1))) s--;
    if (s > 0 && !isDelimiter(line.charCodeAt(s - 1))) continue;
    if (line.charCodeAt(s) === 46 || line.charCodeAt(end - 1) === 46) continue;
    let k = end;
    let code = '';
    if (line.startsWith(' [', k)) {
      const close = line.indexOf(']', k);
      if (close < 0 || !CODE.test(line.slice(k + 2, close))) continue;
      code = line.slice(k + 2, close);
      k = close + 1;
    }
    let message: string;
    if (k === line.length) message = '';
    else if (line.charCodeAt(k) !== 58 /* : */) continue;
    else if (k + 1 === line.length) message = '';
    else if (line.charCodeAt(k + 1) === 32) message = line.slice(k + 2);
    else continue;
    return { cls: line.slice(s, end), message: code ? `[${code}] ${message}`.trimEnd() : message, start: s };
  }
}

/** The text after `at ` of a frame line, or undefined. */
function frameRest(line: string): string | undefined {
  let i = 0;
  while (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9) i++;
  if (i === 0 || !line.startsWith('at ', i)) return undefined;
  return line.slice(i + 3).trimEnd();
}

function indentOf(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  return i;
}

/** One error of the printed value: the top one, a `[cause]`, or a member of `[errors]`. */
interface Block {
  node: ExceptionNode;
  /** The column its header starts at; its frames are 4 further in, its properties 2. */
  indent: number;
  /** The text after `at ` of each frame line, in order (what `... N lines matching` refers to). */
  raw: string[];
  /** `... N lines matching cause stack trace ...`: N frames left out after `raw[after - 1]`. */
  elisions: Array<{ after: number; count: number }>;
  /** Still in its message (no frame yet). */
  inMessage: boolean;
  /** Blank message lines held until more message follows. */
  blanks: number;
  messageLines: number;
  /** The column of its `[errors]: [` line while the list is open, else -1. */
  errorsAt: number;
  open: boolean;
  cause: Block | undefined;
  members: Block[];
}

function newBlock(header: Header, indent: number): Block {
  return {
    node: newNode(header.cls, header.message),
    indent,
    raw: [],
    elisions: [],
    inMessage: true,
    blanks: 0,
    messageLines: 1,
    errorsAt: -1,
    open: true,
    cause: undefined,
    members: [],
  };
}

type State = 'message' | 'frames' | 'props' | 'closed';

class NodeReader implements TraceReader {
  confirmed = false;
  private state: State = 'message';
  private readonly top: Block;
  /** The blocks in scope (the top, and every cause and member inside braces not yet closed), outermost first. */
  private readonly open: Block[] = [];
  private readonly text = new TextCollector();
  private lines = 0;
  private skipped = 0;
  private blocks = 1;
  /** Frame lines kept, over all blocks. */
  private frames = 0;

  constructor(
    first: string,
    header: Header,
    /** What stood before the class on the header line, when every line may repeat it. */
    private readonly prefix: string,
  ) {
    this.top = newBlock(header, 0);
    this.open.push(this.top);
    this.text.add(first);
  }

  push(raw: string, foreign = false): Verdict {
    if (++this.lines > maxTraceLines) return 'end';
    if (this.state === 'closed') return 'end';
    if (foreign) {
      if (++this.skipped > maxSkippedLines) return this.confirmed ? 'end' : 'reject';
      return 'accept';
    }
    const line = this.prefix !== '' && raw.startsWith(this.prefix) ? raw.slice(this.prefix.length) : raw;
    const v = this.step(line);
    if (v === 'accept') {
      this.skipped = 0;
      if (isBlank(line)) this.text.addBlank();
      else this.text.add(line);
    }
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
    if (frameRest(line) !== undefined) {
      this.confirmed = true;
      this.state = 'frames';
      return this.stepFrames(line);
    }
    const top = this.top;
    if (isBlank(line)) {
      top.blanks++;
      return top.messageLines + top.blanks > maxMessageLines ? 'reject' : 'accept';
    }
    // Another header, or a Python traceback: the line before was no error with a stack.
    if (top.messageLines + top.blanks >= maxMessageLines || line.includes('Traceback (most recent')) return 'reject';
    if (!line.startsWith('Require stack:') && parseHeader(line)) return 'reject';
    this.addMessageLine(top, line);
    return 'accept';
  }

  private addMessageLine(b: Block, text: string): void {
    if (b.node.message.length < 4096) b.node.message += `${'\n'.repeat(b.blanks + 1)}${text}`;
    b.messageLines += b.blanks + 1;
    b.blanks = 0;
  }

  private stepFrames(line: string): Verdict {
    const rest = frameRest(line);
    if (rest !== undefined) {
      this.frame(this.top, rest);
      return 'accept';
    }
    const el = ELIDED.exec(line);
    if (el) {
      this.top.elisions.push({ after: this.top.raw.length, count: Number(el[1]) });
      return 'accept';
    }
    return 'end';
  }

  /** A frame line of block `b`; a trailing ` {` opens its properties. */
  private frame(b: Block, rest: string): void {
    b.inMessage = false;
    if (rest.endsWith(',')) rest = rest.slice(0, -1).trimEnd();
    if (rest.endsWith(' {')) {
      rest = rest.slice(0, -2);
      if (b === this.top) this.state = 'props';
    }
    if (b.raw.length < maxFrames * 2 && this.frames < maxTraceFrames) {
      this.frames++;
      b.raw.push(rest);
    }
  }

  /** Inside `{ ... }`: causes, error lists, their frames, and properties, told apart by indentation. */
  private stepProps(line: string): Verdict {
    const ind = indentOf(line);
    const t = line.slice(ind);
    if (ind === 0 && !t.startsWith('}')) {
      // Something else printed in the middle of the block.
      return ++this.skipped > maxSkippedLines ? 'end' : 'accept';
    }
    const rest = frameRest(line);
    if (rest !== undefined) {
      const b = this.blockAt(ind - 4);
      if (b) this.frame(b, rest);
      return 'accept';
    }
    const el = ELIDED.exec(line);
    if (el) {
      const b = this.blockAt(ind - 4);
      if (b) b.elisions.push({ after: b.raw.length, count: Number(el[1]) });
      return 'accept';
    }
    if (t.startsWith('}')) {
      const at = this.open.findIndex((b) => b.indent === ind);
      if (at >= 0) {
        for (const b of this.open.splice(at)) b.open = false;
        if (ind === 0) this.state = 'closed';
      }
      return 'accept';
    }
    if (t.startsWith(']')) {
      for (const b of this.open) if (b.errorsAt === ind) b.errorsAt = -1;
      return 'accept';
    }
    if (t.startsWith(CAUSE_KEY)) {
      const parent = this.propsAt(ind);
      const header = parent ? parseHeader(t.slice(CAUSE_KEY.length)) : undefined;
      if (parent && header && header.start === 0 && !parent.cause && this.blocks < maxExceptions) {
        this.blocks++;
        parent.cause = newBlock(header, ind);
        this.open.push(parent.cause);
      }
      return 'accept';
    }
    if (t === ERRORS_KEY) {
      const parent = this.propsAt(ind);
      if (parent) parent.errorsAt = ind;
      return 'accept';
    }
    // A member of an `[errors]` list.
    const list = this.open.findLast((b) => b.errorsAt === ind - 2);
    if (list) {
      const header = parseHeader(t);
      if (header && header.start === 0 && this.blocks < maxExceptions && list.members.length < maxChain) {
        this.blocks++;
        const m = newBlock(header, ind);
        list.members.push(m);
        this.open.push(m);
        return 'accept';
      }
    }
    // More message of a cause or member that has no frame yet (inspect indents it with the block).
    const last = this.open[this.open.length - 1];
    if (last && last.inMessage && last !== this.top && ind >= last.indent) {
      if (isBlank(t)) last.blanks++;
      else if (last.messageLines < maxMessageLines) this.addMessageLine(last, line.slice(last.indent));
    }
    // Any other property (`code: 'E_X'`, nested values).
    return 'accept';
  }

  /** The open block whose header is at column `indent`. */
  private blockAt(indent: number): Block | undefined {
    for (let i = this.open.length - 1; i >= 0; i--) if (this.open[i]!.indent === indent) return this.open[i];
    return undefined;
  }

  /** The open block whose properties are printed at column `indent`. */
  private propsAt(indent: number): Block | undefined {
    const b = this.blockAt(indent - 2);
    return b && !b.inMessage ? b : undefined;
  }

  finish() {
    if (!this.confirmed) return undefined;
    const top = this.build(this.top);
    return toTrace('node', top, this.text.toString());
  }

  /** The exception tree of a block: frames put back where they matched the cause's. */
  private build(b: Block, depth = 0): ExceptionNode {
    const cause = b.cause && depth < maxExceptions ? this.build(b.cause, depth + 1) : undefined;
    let raw = b.raw;
    if (b.cause && b.elisions.length > 0) {
      const theirs = b.cause.raw;
      raw = [];
      let from = 0;
      for (const e of b.elisions) {
        raw.push(...b.raw.slice(from, e.after));
        from = e.after;
        // Node keeps the first shared frame, then the note, then the last shared frame.
        const kept = b.raw[e.after - 1];
        const pos = kept === undefined ? -1 : theirs.indexOf(kept);
        if (pos >= 0) raw.push(...theirs.slice(pos + 1, pos + 1 + e.count));
      }
      raw.push(...b.raw.slice(from));
      b.raw = raw;
    }
    for (const r of raw) {
      const f = parseNodeFrame(r);
      if (f) pushFrame(b.node.frames, f);
    }
    if (cause) b.node.previous = { node: cause, relation: 'cause' };
    if (b.members.length > 0) b.node.members = b.members.map((m) => this.build(m, depth + 1));
    return b.node;
  }
}

export const nodeParser: TraceParser = {
  language: 'node',
  markers: ['Error', 'Exception'],
  detect(line) {
    return parseHeader(line) !== undefined;
  },
  begin(line) {
    if (isBlank(line) || frameRest(line) !== undefined) return undefined;
    const header = parseHeader(line);
    if (!header) return undefined;
    const before = line.slice(0, header.start);
    return new NodeReader(line, header, before.trim() === '' || before.startsWith('Uncaught') ? '' : before);
  },
};
