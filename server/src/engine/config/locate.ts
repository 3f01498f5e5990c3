import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/**
 * Finding the YAML node behind a path of keys and indexes, and its 1-based position.
 */

export type PathKey = string | number;

export interface Position {
  line: number;
  column: number;
}

export interface NodeLookup {
  /** The deepest node reached along the path (the document root when nothing matched). */
  node: Node | null;
  /** The key node of the last pair walked through, when the last step was a mapping key. */
  keyNode: Node | null;
  /** How many path segments were found. */
  depth: number;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return key.value === null || key.value === undefined ? undefined : String(key.value);
  return undefined;
}

/** Walk `path` through the document's maps and sequences as far as it goes. */
export function lookup(doc: Document, path: readonly PathKey[]): NodeLookup {
  let node = (doc.contents ?? null) as Node | null;
  let keyNode: Node | null = null;
  let depth = 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) break;
      keyNode = (pair.key as Node) ?? null;
      node = (pair.value as Node | null) ?? keyNode;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      keyNode = null;
      node = item;
    } else {
      break;
    }
    depth++;
  }
  return { node, keyNode, depth };
}

/** The key node of `key` in the mapping at `path`, if there is one. */
export function keyNodeAt(doc: Document, path: readonly PathKey[], key: string): Node | null {
  const { node, depth } = lookup(doc, path);
  if (depth !== path.length || !isMap(node)) return null;
  const pair = node.items.find((p) => isPair(p) && keyText(p.key) === key);
  return (pair?.key as Node | undefined) ?? null;
}

/** Keys present in the mapping at `path`. */
export function keysAt(doc: Document, path: readonly PathKey[]): string[] {
  const { node, depth } = lookup(doc, path);
  if (depth !== path.length || !isMap(node)) return [];
  return node.items.map((p) => keyText(p.key)).filter((k): k is string => k !== undefined);
}

export function positionOf(node: Node | null | undefined, lines: LineCounter): Position {
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: 1, column: 1 };
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** `scenarios[2].expect.status` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(top level)';
}
