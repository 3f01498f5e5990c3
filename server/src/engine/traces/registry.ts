import { nodeParser } from './node';
import { pythonParser } from './python';
import type { TraceParser } from './reader';

/** The trace formats a scanner looks for, in order of preference when several match a line. */
export class ParserRegistry {
  private readonly list: TraceParser[] = [];

  constructor(parsers: readonly TraceParser[] = []) {
    for (const p of parsers) this.register(p);
  }

  register(parser: TraceParser): this {
    this.list.push(parser);
    return this;
  }

  get parsers(): readonly TraceParser[] {
    return this.list;
  }

  /** Every marker of every parser, deduplicated. */
  markers(): string[] {
    return [...new Set(this.list.flatMap((p) => p.markers))];
  }
}

/** Python first: its headers are unambiguous, while a Node header needs the frames under it. */
export function defaultRegistry(): ParserRegistry {
  return new ParserRegistry([pythonParser, nodeParser]);
}
