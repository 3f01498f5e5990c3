/**
 * The exceptions of one trace as the runtime links them (a chain of causes, the members of a
 * group), and how that tree is laid out flat in a `Trace`.
 */
import type { Frame, Trace, TraceLanguage } from '../model';
import { LIMITS } from './reader';

export type Relation = 'cause' | 'context';

/** One exception, as read from a trace. */
export interface ExceptionNode {
  exceptionClass: string;
  message: string;
  frames: Frame[];
  /** The exception this one was raised from (`cause`) or while handling (`context`). */
  previous?: { node: ExceptionNode; relation: Relation };
  /** The members of an exception group (Python ExceptionGroup, Node AggregateError's `errors`). */
  members?: ExceptionNode[];
}

export function newNode(exceptionClass = '', message = ''): ExceptionNode {
  return { exceptionClass, message, frames: [] };
}

type Flat = Trace['causes'][number];

/**
 * Lays the tree out as a `Trace`: the top exception is the trace itself; `causes` holds every
 * other exception in the order Python prints them: each exception's chain oldest first (its
 * `relation` says how it leads to the next one of that chain), and after a group its members,
 * each with the chain that led to it (a member's own `relation` is `context`). Node's `[cause]`
 * and `[errors]` blocks are laid out the same way, so one reading serves both languages.
 * At most `LIMITS.maxChain` causes are kept: the ones nearest the end.
 */
export function toTrace(language: TraceLanguage, top: ExceptionNode, text: string): Trace {
  const causes: Flat[] = [];
  // An explicit stack rather than recursion: groups nest as deep as the input makes them.
  const stack: Array<{ chain: ExceptionNode[]; at: number; relation: Relation }> = [
    { chain: chainOf(top), at: 0, relation: 'context' },
  ];
  let budget = 10_000;
  while (stack.length > 0 && budget-- > 0) {
    const f = stack[stack.length - 1]!;
    if (f.at >= f.chain.length) {
      stack.pop();
      continue;
    }
    const el = f.chain[f.at]!;
    const last = f.at === f.chain.length - 1;
    f.at++;
    if (el !== top) {
      const relation = last ? f.relation : f.chain[f.at]!.previous!.relation;
      causes.push({ exceptionClass: name(el), message: el.message, frames: el.frames, relation });
    }
    // A group's members come right after it, each with the chain that led to it.
    const members = el.members ?? [];
    for (let m = members.length - 1; m >= 0; m--) stack.push({ chain: chainOf(members[m]!), at: 0, relation: 'context' });
  }
  return {
    language,
    exceptionClass: name(top),
    message: top.message,
    frames: top.frames,
    causes: causes.length > LIMITS.maxChain ? causes.slice(causes.length - LIMITS.maxChain) : causes,
    text,
  };
}

/** The chain that ends in `node`, oldest first (at most `LIMITS.maxChain + 1` long: the newest). */
function chainOf(node: ExceptionNode): ExceptionNode[] {
  const chain: ExceptionNode[] = [];
  for (let n: ExceptionNode | undefined = node; n && chain.length <= LIMITS.maxChain; n = n.previous?.node) chain.push(n);
  return chain.reverse();
}

function name(n: ExceptionNode): string {
  return n.exceptionClass === '' ? 'UnknownException' : n.exceptionClass;
}
