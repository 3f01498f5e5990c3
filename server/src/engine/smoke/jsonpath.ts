/**
 * Dot paths into JSON bodies (`items.0.id`) and the subset match behind `expect.json`.
 */

export function getPath(value: unknown, dotPath: string): { found: boolean; value: unknown } {
  if (dotPath === '' || dotPath === '.') return { found: true, value };
  let v: unknown = value;
  for (const seg of dotPath.split('.')) {
    if (Array.isArray(v) && /^\d+$/.test(seg) && Number(seg) < v.length) v = v[Number(seg)];
    else if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, seg)) v = (v as Record<string, unknown>)[seg];
    else return { found: false, value: undefined };
  }
  return { found: true, value: v };
}

function show(v: unknown): string {
  const text = JSON.stringify(v);
  if (text === undefined) return String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Compare `actual` against `expected`: objects match as subsets (extra keys in the body are fine),
 * arrays element by element with the same length, scalars by equality.
 * Returns messages like `expected total = 25, got 30`.
 */
export function matchSubset(actual: unknown, expected: unknown, at: string, out: string[] = []): string[] {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      out.push(`expected ${at || 'the body'} to be an object, got ${show(actual)}`);
      return out;
    }
    for (const [k, ev] of Object.entries(expected)) {
      const path = at ? `${at}.${k}` : k;
      if (!Object.hasOwn(actual, k)) out.push(`expected ${path} = ${show(ev)}, got nothing (no such key)`);
      else matchSubset((actual as Record<string, unknown>)[k], ev, path, out);
    }
    return out;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      out.push(`expected ${at || 'the body'} to be a list, got ${show(actual)}`);
      return out;
    }
    if (actual.length !== expected.length) out.push(`expected ${at || 'the body'} to have ${expected.length} entries, got ${actual.length}`);
    expected.forEach((ev, i) => {
      if (i < actual.length) matchSubset(actual[i], ev, at ? `${at}.${i}` : String(i), out);
    });
    return out;
  }
  if (!Object.is(actual, expected) && !(actual === expected)) out.push(`expected ${at || 'the body'} = ${show(expected)}, got ${show(actual)}`);
  return out;
}

/** `expect.json` keys are dot paths; each value is subset-matched at that path. */
export function checkJsonExpectations(body: unknown, expectations: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [path, expected] of Object.entries(expectations)) {
    const got = getPath(body, path);
    if (!got.found) out.push(`expected ${path} = ${show(expected)}, got nothing (no such key)`);
    else matchSubset(got.value, expected, path, out);
  }
  return out;
}
