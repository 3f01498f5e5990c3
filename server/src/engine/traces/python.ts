/**
 * Python tracebacks: `Traceback (most recent call last):`, `File "...", line N, in fn` frames with
 * their source line, 3.11+ caret lines, `[Previous line repeated N more times]`, chained
 * exceptions, SyntaxError blocks, dotted exception classes, bare exception names (`raise Boom()`),
 * multi-line messages (blank lines included) and exception groups (`except*`, TaskGroup), nested
 * and chained, as `traceback` prints them.
 *
 * Exception groups are printed with a margin per level of nesting: `  | ` for the group's own
 * lines, `    | ` for its members', and `+-+---- 1 ----` lines between members. Every line is read
 * once, its margin measured in one pass, so time stays linear however deep the nesting.
 */
import type { Frame } from '../model';
import { isBlank } from './noise';
import { LIMITS, pushFrame, TextCollector, type TraceParser, type TraceReader, type Verdict } from './reader';
import { newNode, toTrace, type ExceptionNode, type Relation } from './tree';

/** The bounds, read once: they are looked at on every line. */
const { maxChain, maxExceptions, maxFrames, maxGroupDepth, maxMessageLines, maxSkippedLines, maxTraceFrames, maxTraceLines, maxTraceText } = LIMITS;

const HEADER = 'Traceback (most recent call last):';
const GROUP_HEADER = 'Exception Group Traceback (most recent call last):';
const CAUSE_SEPARATOR = 'The above exception was the direct cause of the following exception:';
const CONTEXT_SEPARATOR = 'During handling of the above exception, another exception occurred:';

const EXCEPTIONISH = /(?:Error|Exception|Exit|Interrupt|Iteration|Warning|Group|Timeout|Cancelled|Denied|NotFound|Invalid)$|\./;
const LEVEL_WORD = /^(?:INFO|WARN|WARNING|ERROR|DEBUG|TRACE|FATAL|CRITICAL|NOTICE|Note|Usage|Hint)$/;
const REPEATED = /^\s*\[Previous line repeated (\d{1,12}) more times?\]\s*$/;
/** After the `+` of a separator line: the first member, another member, or the end of the group. */
const FIRST_MEMBER = /^-\+-+ (?:\d+|\.\.\.) -+\s*$/;
const NEXT_MEMBER = /^-+ (?:\d+|\.\.\.) -+\s*$/;
const GROUP_END = /^-+\s*$/;
const BARE_GROUP = /^ {2}\| [A-Za-z_][\w.<>]*: .*\(\d+ sub-exceptions?\)\s*$/;

interface FrameLine {
  file: string;
  line: number;
  /** Absent on a SyntaxError's location line. */
  fn: string | undefined;
}

/** `File "path", line N[, in name]`, read by hand so that no line can make it slow. */
function parseFrameLine(text: string): FrameLine | undefined {
  let i = 0;
  while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
  if (!text.startsWith('File "', i)) return undefined;
  const start = i + 6;
  const end = text.lastIndexOf('", line ');
  if (end < start) return undefined;
  const numStart = end + 8;
  let k = numStart;
  if (text.charCodeAt(k) === 45) k++;
  const digits = k;
  while (text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 57) k++;
  if (k === digits) return undefined;
  let fn: string | undefined;
  if (text.startsWith(', in ', k)) fn = text.slice(k + 5).trimEnd();
  else if (text.slice(k).trim() !== '') return undefined;
  return { file: text.slice(start, end), line: Number(text.slice(numStart, k)), fn };
}

/** `^^^^`, `~~~^^^~~` under a source line. */
function isCaret(text: string): boolean {
  let marks = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 94 || c === 126) marks++;
    else if (c !== 32 && c !== 9) return false;
  }
  return marks > 0;
}

/**
 * An exception line: `pkg.mod.Error: message`, or a bare class name. A bare name that does not
 * look like an exception's is taken only where the traceback has one due (after its frames).
 */
function parseExceptionLine(text: string, bareOk: boolean): { cls: string; message: string } | undefined {
  const c = text.charCodeAt(0);
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return undefined;
  let i = 1;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i);
    const ok = (d >= 48 && d <= 57) || (d >= 65 && d <= 90) || (d >= 97 && d <= 122) || d === 95 || d === 46 || d === 60 || d === 62;
    if (!ok) break;
  }
  const cls = text.slice(0, i);
  if (LEVEL_WORD.test(cls) || cls.endsWith('.')) return undefined;
  if (i === text.length || text.slice(i).trim() === '') {
    if (!bareOk && !EXCEPTIONISH.test(cls)) return undefined;
    return { cls, message: '' };
  }
  if (text.charCodeAt(i) !== 58 /* : */) return undefined;
  const message = text.charCodeAt(i + 1) === 32 ? text.slice(i + 2) : text.slice(i + 1);
  return { cls, message };
}

function separator(text: string): Relation | undefined {
  const t = text.trim();
  if (t === CAUSE_SEPARATOR) return 'cause';
  if (t === CONTEXT_SEPARATOR) return 'context';
  return undefined;
}

/** A line of exception-group output: its nesting depth and what it is. */
type GroupLine =
  | { kind: 'content'; depth: number; text: string }
  | { kind: 'member'; groupDepth: number; skipped: boolean }
  | { kind: 'end'; memberDepth: number };

/** Cheap test before `groupLine`: margins are an even run of spaces then `|` or `+`. */
function maybeGroupLine(line: string): boolean {
  let s = 0;
  while (line.charCodeAt(s) === 32) s++;
  const c = line.charCodeAt(s);
  return s >= 2 && (c === 124 || c === 43);
}

function groupLine(line: string): GroupLine {
  let s = 0;
  while (line.charCodeAt(s) === 32) s++;
  const c = line.charCodeAt(s);
  if (s >= 2 && (s & 1) === 0 && (c === 124 /* | */ || c === 43) /* + */) {
    const n = line.charCodeAt(s + 1);
    if (Number.isNaN(n) || n === 32) return { kind: 'content', depth: s >> 1, text: line.slice(s + 2) };
    if (c === 43 && n === 45 /* - */) {
      const rest = line.slice(s + 1);
      if (FIRST_MEMBER.test(rest)) return { kind: 'member', groupDepth: s >> 1, skipped: rest.includes('...') };
      if (NEXT_MEMBER.test(rest)) return { kind: 'member', groupDepth: (s >> 1) - 1, skipped: rest.includes('...') };
      if (GROUP_END.test(rest)) return { kind: 'end', memberDepth: s >> 1 };
    }
  }
  return { kind: 'content', depth: 0, text: line };
}

type ChainState = 'start' | 'frames' | 'syntax' | 'message' | 'members' | 'separator';

/**
 * The exceptions printed at one level: the top level, or one member of a group. A chain's
 * elements are linked by the separators between them; its last element is the one raised.
 */
interface Chain {
  /** The margin depth of its lines (0: none). */
  depth: number;
  /** The group this chain is a member of. */
  owner: ExceptionNode | undefined;
  /** `and N more exceptions`: read, not kept. */
  ignored: boolean;
  node: ExceptionNode | undefined;
  /** Whether `node` is a group (its lines take the next margin at the top level). */
  group: boolean;
  length: number;
  state: ChainState;
  /** Set by a separator: how `node` leads to the next element. */
  relation: Relation | undefined;
  /** Whether the last frame still waits for its source line. */
  wantCode: boolean;
  messageLines: number;
  /** Blank lines seen after the message so far: they belong to it if more message follows. */
  blanks: number;
  /** A foreign line came after the message: only a separator can carry the trace on. */
  afterForeign: boolean;
  /** Lines a SyntaxError block has taken before its exception line. */
  syntaxLines: number;
}

function newChain(depth: number, owner: ExceptionNode | undefined, state: ChainState, ignored = false): Chain {
  return {
    depth,
    owner,
    ignored,
    node: undefined,
    group: false,
    length: 0,
    state,
    relation: undefined,
    wantCode: false,
    messageLines: 0,
    blanks: 0,
    afterForeign: false,
    syntaxLines: 0,
  };
}

/** What a chain makes of one line. */
type Step = 'accept' | 'skip' | 'end' | 'reject';

type StartKind = 'traceback' | 'group' | 'syntax' | 'bare-group';

class PythonReader implements TraceReader {
  confirmed: boolean;
  private readonly chains: Chain[];
  private readonly text = new TextCollector();
  private lines = 0;
  private skipped = 0;
  private nodes = 0;
  private frames = 0;

  constructor(
    first: string,
    /** A prefix the header carried that the lines after it may repeat (`myapp: Traceback ...`). */
    private readonly prefix: string,
    kind: StartKind,
  ) {
    this.text.add(first);
    const top = newChain(0, undefined, 'frames');
    this.chains = [top];
    this.confirmed = kind === 'traceback' || kind === 'group';
    if (kind === 'syntax') {
      this.element(top, false);
      top.state = 'syntax';
      const f = parseFrameLine(first.slice(prefix.length));
      if (f) this.addFrame(top, f);
    } else if (kind === 'bare-group') {
      this.element(top, true);
      const g = groupLine(first.slice(prefix.length));
      const exc = g.kind === 'content' ? parseExceptionLine(g.text, true) : undefined;
      if (exc) this.setException(top, exc);
    } else {
      this.element(top, kind === 'group');
    }
  }

  push(raw: string, foreign = false): Verdict {
    if (++this.lines > maxTraceLines) return 'end';
    if (foreign) return this.verdict(this.foreign(), raw);
    const line = this.prefix !== '' && raw.startsWith(this.prefix) ? raw.slice(this.prefix.length) : raw;
    if (!maybeGroupLine(line)) return this.verdict(this.content(0, line, line), raw);
    const g = groupLine(line);
    if (g.kind === 'member') return this.verdict(this.member(g.groupDepth, g.skipped), raw);
    if (g.kind === 'end') return this.verdict(this.groupEnd(g.memberDepth), raw);
    return this.verdict(this.content(g.depth, g.text, line), raw);
  }

  private verdict(step: Step, raw: string): Verdict {
    switch (step) {
      case 'accept':
        this.skipped = 0;
        if (isBlank(raw)) this.text.addBlank();
        else this.text.add(raw);
        return 'accept';
      case 'skip':
        if (++this.skipped > maxSkippedLines) return this.confirmed ? 'end' : 'reject';
        return 'accept';
      case 'end':
        return this.confirmed ? 'end' : 'reject';
      case 'reject':
        return 'reject';
    }
  }

  private get innermost(): Chain {
    return this.chains[this.chains.length - 1]!;
  }

  /** A log record of its own inside the trace: skipped; after a message it may end the trace. */
  private foreign(): Step {
    const ch = this.innermost;
    if (ch.depth === 0 && (ch.state === 'message' || ch.state === 'members')) ch.afterForeign = true;
    return 'skip';
  }

  /** Whether `ch` reads lines of margin depth `depth`. */
  private reads(ch: Chain, depth: number, text: string): boolean {
    if (ch.depth === depth) return true;
    // A group at the top level prints its own lines one margin in (`  + Exception Group ...`, `  | ...`).
    return ch.depth === 0 && depth === 1 && (ch.group || ch.state === 'separator' || text === GROUP_HEADER);
  }

  private content(depth: number, text: string, line: string): Step {
    let ch = this.innermost;
    while (!this.reads(ch, depth, text)) {
      if (depth < ch.depth) {
        // Back out of a member whose end line was lost.
        this.closeChain();
        ch = this.innermost;
        continue;
      }
      // Deeper than any open member: no group margin after all (a source line like `    | x`).
      if (ch.depth > 0) return 'skip';
      text = line;
      break;
    }
    return this.step(ch, text);
  }

  private step(ch: Chain, t: string): Step {
    switch (ch.state) {
      case 'start':
      case 'separator':
        return this.stepStart(ch, t);
      case 'frames':
        return this.stepFrames(ch, t);
      case 'syntax':
        return this.stepSyntax(ch, t);
      case 'message':
        return this.stepMessage(ch, t);
      case 'members':
        return this.stepAfterMembers(ch, t);
    }
  }

  /** The start of a member, or what follows a chain separator. */
  private stepStart(ch: Chain, t: string): Step {
    if (isBlank(t)) return 'accept';
    if (ch.ignored) return 'accept';
    if (t === HEADER || t === GROUP_HEADER) {
      if (!this.element(ch, t === GROUP_HEADER)) return 'end';
      ch.state = 'frames';
      return 'accept';
    }
    const f = parseFrameLine(t);
    if (f) {
      // A SyntaxError block, which has no header of its own.
      if (!this.element(ch, false)) return 'end';
      ch.state = 'frames';
      this.addFrame(ch, f);
      return 'accept';
    }
    // An exception that was never raised has no traceback: its line alone.
    const exc = parseExceptionLine(t, true);
    if (exc) {
      if (!this.element(ch, false)) return 'end';
      this.setException(ch, exc);
      return 'accept';
    }
    // `... (max_group_depth is 10)`
    if (ch.depth > 0 && t.startsWith('... (max_group_depth')) return 'accept';
    return ch.depth === 0 ? 'end' : 'skip';
  }

  private stepFrames(ch: Chain, t: string): Step {
    if (isBlank(t)) return 'skip';
    const node = ch.node!;
    const c = t.charCodeAt(0);
    if (c === 32 || c === 9) {
      const f = parseFrameLine(t);
      if (f) {
        this.addFrame(ch, f);
        return 'accept';
      }
      if (isCaret(t)) return 'accept';
      const rep = t.includes('[Previous line') ? REPEATED.exec(t) : null;
      if (rep) {
        // The frame above, that many more times (beyond `maxFrames` only the middle would change).
        const last = node.frames[node.frames.length - 1];
        const n = Math.min(Number(rep[1]), maxFrames);
        for (let i = 0; last && i < n; i++) this.keep(node, { ...last });
        return 'accept';
      }
      if (ch.wantCode && t.startsWith('    ')) {
        const last = node.frames[node.frames.length - 1];
        if (last && last.code === undefined) last.code = t.trim();
        ch.wantCode = false;
        return 'accept';
      }
      // More source lines (3.13 prints whole statements), `...<3 lines>...`.
      return 'accept';
    }
    if (t === HEADER || t === GROUP_HEADER) {
      // A new traceback without a separator: this one ended without its exception line.
      return node.frames.length > 0 ? 'end' : 'accept';
    }
    const exc = parseExceptionLine(t, node.frames.length > 0);
    if (exc) {
      this.setException(ch, exc);
      return 'accept';
    }
    return 'skip';
  }

  /** A SyntaxError's location, source and caret lines, up to its exception line. */
  private stepSyntax(ch: Chain, t: string): Step {
    if (++ch.syntaxLines > 6) return 'reject';
    if (isCaret(t)) return 'accept';
    if (t.startsWith('    ')) {
      const last = ch.node!.frames[ch.node!.frames.length - 1];
      if (last && last.code === undefined) last.code = t.trim();
      return 'accept';
    }
    const exc = parseExceptionLine(t, false);
    if (!exc) return 'reject';
    this.confirmed = true;
    this.setException(ch, exc);
    return 'accept';
  }

  private stepMessage(ch: Chain, t: string): Step {
    const sep = separator(t);
    if (sep) {
      ch.relation = sep;
      ch.state = 'separator';
      return 'accept';
    }
    if (isBlank(t)) {
      ch.blanks++;
      return ch.blanks > maxMessageLines ? this.over(ch) : 'accept';
    }
    if (ch.depth === 0) {
      // Past a foreign line only a separator carries on; a new traceback or a frame is no message.
      if (ch.afterForeign || t.includes(HEADER) || t === GROUP_HEADER || parseFrameLine(t)) return 'end';
    } else if (t === HEADER || t === GROUP_HEADER) {
      return 'skip';
    }
    if (ch.messageLines + ch.blanks >= maxMessageLines) return this.over(ch);
    const node = ch.node!;
    if (node.message.length < 4096) node.message += `${'\n'.repeat(ch.blanks + 1)}${t}`;
    ch.messageLines += ch.blanks + 1;
    ch.blanks = 0;
    return 'accept';
  }

  /** After a group's members: a separator carries the chain on; anything else ends it. */
  private stepAfterMembers(ch: Chain, t: string): Step {
    const sep = separator(t);
    if (sep) {
      ch.relation = sep;
      ch.state = 'separator';
      return 'accept';
    }
    if (isBlank(t)) return 'accept';
    return ch.depth === 0 ? 'end' : 'skip';
  }

  private over(ch: Chain): Step {
    return ch.depth === 0 ? 'end' : 'skip';
  }

  /** `+-+---- 1 ----`: a member of the group printed at margin `groupDepth` begins. */
  private member(groupDepth: number, skipped: boolean): Step {
    for (;;) {
      const ch = this.innermost;
      const depth = ch.depth === 0 ? 1 : ch.depth;
      if (depth === groupDepth && ch.node) {
        if (this.chains.length >= maxGroupDepth) return 'skip';
        ch.group = true;
        ch.state = 'members';
        this.chains.push(newChain(groupDepth + 1, ch.node, 'start', skipped));
        // A group printed without a traceback (re-raised by `except*`) is sure now.
        this.confirmed = true;
        return 'accept';
      }
      if (ch.depth > groupDepth) {
        this.closeChain();
        continue;
      }
      return 'skip';
    }
  }

  /** `+------------`: the group whose members print at `memberDepth` has no more. */
  private groupEnd(memberDepth: number): Step {
    if (this.innermost.depth < memberDepth || memberDepth < 1) return 'skip';
    while (this.innermost.depth >= memberDepth) this.closeChain();
    return 'accept';
  }

  /** A member's chain is complete: its last exception joins the group. */
  private closeChain(): void {
    if (this.chains.length <= 1) return;
    const ch = this.chains.pop()!;
    if (ch.ignored || !ch.node || !ch.owner) return;
    const members = (ch.owner.members ??= []);
    if (members.length < maxChain) members.push(ch.node);
  }

  /** The next exception of a chain; false when the trace holds too many (kept, not forgotten) to go on. */
  private element(ch: Chain, group: boolean): boolean {
    if (this.nodes >= maxExceptions) return false;
    this.nodes++;
    const node = newNode();
    if (ch.node && ch.relation) {
      node.previous = { node: ch.node, relation: ch.relation };
      if (++ch.length > maxChain) {
        // Forget the oldest: chains are read to their end, but only the newest are kept.
        let n: ExceptionNode = node;
        for (let i = 0; i < maxChain && n.previous; i++) n = n.previous.node;
        if (n.previous) this.nodes--;
        n.previous = undefined;
      }
    } else {
      ch.length = 1;
    }
    ch.node = node;
    ch.group = group;
    ch.relation = undefined;
    ch.wantCode = false;
    ch.messageLines = 0;
    ch.blanks = 0;
    ch.afterForeign = false;
    return true;
  }

  private setException(ch: Chain, exc: { cls: string; message: string }): void {
    const node = ch.node!;
    node.exceptionClass = exc.cls;
    node.message = exc.message.slice(0, maxTraceText);
    ch.state = 'message';
    ch.messageLines = 1;
    ch.blanks = 0;
    ch.wantCode = false;
  }

  private addFrame(ch: Chain, f: FrameLine): void {
    ch.wantCode = true;
    if (!(f.line >= 1) || !Number.isSafeInteger(f.line)) return;
    this.keep(ch.node!, { file: f.file, rawFile: f.file, line: f.line, function: f.fn ?? '<module>', inWorkspace: false });
  }

  /** Keeps a frame: up to `maxFrames` per exception (outermost and innermost) and `maxTraceFrames` in all. */
  private keep(node: ExceptionNode, frame: Frame): void {
    if (node.frames.length < maxFrames) {
      if (this.frames >= maxTraceFrames) return;
      this.frames++;
    }
    pushFrame(node.frames, frame);
  }

  finish() {
    if (!this.confirmed) return undefined;
    while (this.chains.length > 1) this.closeChain();
    let top = this.chains[0]!.node;
    // A header with nothing under it (the log ended) is no exception.
    if (top && top.exceptionClass === '' && top.frames.length === 0 && !top.members) top = top.previous?.node;
    if (!top || (top.exceptionClass === '' && top.frames.length === 0 && !top.members)) return undefined;
    return toTrace('python', top, this.text.toString());
  }
}

export const pythonParser: TraceParser = {
  language: 'python',
  // `File ` and not `File "`: Python 3.13 colours the path (`File \x1b[35m"...`). A group printed
  // without a traceback (`  | ExceptionGroup: ... (2 sub-exceptions)`) is found through the
  // class name's `Error` / `Exception`. Every marker costs a pass over the log: keep them few.
  markers: ['Traceback', 'File ', 'Error', 'Exception'],
  detect(line) {
    return line.includes(HEADER) || line.includes('sub-exception') || parseFrameLine(line) !== undefined;
  },
  begin(line) {
    let i = line.indexOf(GROUP_HEADER);
    if (i >= 0) {
      // `  + Exception Group Traceback ...`, maybe after a prefix every line repeats.
      const m = /^(.*?) {2}\+ $/.exec(line.slice(0, i));
      if (!m || line.slice(i + GROUP_HEADER.length).trim() !== '') return undefined;
      return new PythonReader(line, m[1]!, 'group');
    }
    i = line.indexOf(HEADER);
    if (i >= 0) {
      if (line.slice(i + HEADER.length).trim() !== '') return undefined;
      return new PythonReader(line, line.slice(0, i), 'traceback');
    }
    if (BARE_GROUP.test(line)) return new PythonReader(line, '', 'bare-group');
    const f = parseFrameLine(line);
    if (f && f.fn === undefined) return new PythonReader(line, '', 'syntax');
    return undefined;
  },
};
