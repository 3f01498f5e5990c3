import type { JsonSchema } from './sample';

/**
 * How REST documents name their resources and ids, so that a create (`POST /heroes/`) is seen as
 * the producer of what other operations name `{hero_id}`, `{heroId}`, `{id}` under `/heroes`, or a
 * body's `hero_id`; and where the new id sits in a create's response (`id`, `hero_id`, `uuid`,
 * `_id`, or inside an envelope such as `{"data": {"id": 1}}`).
 */

/** `heroId` → `hero_id`, `X-Request-ID` → `x_request_id`. */
export function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

const IRREGULAR: Record<string, string> = {
  people: 'person',
  children: 'child',
  men: 'man',
  women: 'woman',
  mice: 'mouse',
  geese: 'goose',
  feet: 'foot',
  teeth: 'tooth',
  shoes: 'shoe',
  toes: 'toe',
  canoes: 'canoe',
  movies: 'movie',
  cookies: 'cookie',
};

/**
 * The singular forms a collection segment may stand for, most likely first: `heroes` → `hero`,
 * `heroe`; `categories` → `category`; `addresses` → `address`; `news` → `news`. Matching tries them
 * all, so a wrong first guess only changes a variable's name, never whether ids are matched.
 */
export function singulars(segment: string): string[] {
  const w = snake(segment);
  const out: string[] = [];
  const add = (s: string) => {
    if (s && !out.includes(s)) out.push(s);
  };
  if (IRREGULAR[w]) add(IRREGULAR[w]);
  if (/ies$/.test(w)) add(w.replace(/ies$/, 'y'));
  if (/(ss|sh|ch|x|z|o)es$/.test(w)) add(w.replace(/es$/, ''));
  if (/ses$/.test(w)) add(w.replace(/es$/, ''));
  if (/[^s]s$/.test(w) || /[^s]es$/.test(w)) add(w.slice(0, -1));
  add(w);
  return out;
}

/** Names that say "the id" without saying of what: `{id}` under `/carts` is the cart's. */
export function isGenericId(name: string): boolean {
  return /^_?(id|pk|uuid|uid|guid|key|slug|oid)$/i.test(name);
}

/** The resource an id's name points at: `hero_id`, `heroId`, `hero_uuid`, `HeroID` → `hero`; `name` → undefined. */
export function idBase(name: string): string | undefined {
  const s = snake(name);
  const m = /^(.+?)_(id|uuid|uid|pk|guid)$/.exec(s);
  return m ? m[1] : undefined;
}

/** A schema name without the suffixes frameworks add to one model's variants: `HeroPublic` → `Hero`. */
export function modelBase(refName: string): string {
  return refName.replace(/(In|Out|Read|Response|Schema|Public|Detail|Details|Dto|DTO|Model|Resource|Create|Created)$/, '') || refName;
}

type Resolve = (s: unknown) => JsonSchema;

/** The object schema behind `$ref`, `allOf` and nullable `anyOf`/`oneOf` (SQLModel's `X | None`). */
export function objectShape(schemaIn: unknown, resolve: Resolve, depth = 0): Record<string, unknown> {
  if (depth > 8) return {};
  const s = resolve(schemaIn);
  const props: Record<string, unknown> = { ...((s.properties as Record<string, unknown>) ?? {}) };
  for (const part of Array.isArray(s.allOf) ? s.allOf : []) Object.assign(props, objectShape(part, resolve, depth + 1));
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = Array.isArray(s[key]) ? (s[key] as unknown[]) : [];
    const objects = options.map((o) => objectShape(o, resolve, depth + 1)).filter((p) => Object.keys(p).length > 0);
    if (objects.length > 0) Object.assign(props, objects[0]);
  }
  return props;
}

/** Property names under which APIs wrap the one object they return. */
const ENVELOPES = /^(data|result|item|payload|record|entity|object|body|resource)$/i;

/**
 * The dot path of the new id in a create's response: a property named as the item route names
 * its parameter (`prefer`: `slug` for `/posts/{slug}`); else `id` or `_id`; else a property whose
 * name points at this resource (`hero_id`, `heroId`, `hero_uuid`, given as `bases`); else `uuid`/
 * `uid`/`pk`; else the same inside an envelope (`data.id`, or the resource's own name: `hero.id`).
 * `found` is false when the schema says nothing usable and `id` is a guess.
 */
export function idPathIn(schema: unknown, bases: string[], resolve: Resolve, depth = 0, prefer: string[] = []): { path: string; found: boolean } {
  const props = objectShape(schema, resolve);
  const names = Object.keys(props);
  if (names.length === 0) return { path: 'id', found: false };
  const wanted = prefer.filter((p) => !isGenericId(p) || /^(slug|key)$/i.test(p)).map(snake);
  const own = (p: string) => idBase(p) !== undefined && bases.includes(idBase(p)!);
  const hit =
    names.find((p) => wanted.includes(snake(p))) ??
    names.find((p) => p === 'id') ??
    names.find((p) => p === '_id') ??
    names.find(own) ??
    names.find((p) => /^(uuid|uid|guid|pk)$/i.test(p));
  if (hit) return { path: hit, found: true };
  if (depth < 2) {
    const wrappers = names.filter((p) => ENVELOPES.test(p) || bases.includes(snake(p)));
    for (const w of wrappers) {
      const inner = idPathIn(props[w], bases, resolve, depth + 1, prefer);
      if (inner.found) return { path: `${w}.${inner.path}`, found: true };
    }
  }
  return { path: 'id', found: false };
}
