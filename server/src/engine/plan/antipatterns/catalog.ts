import type { AntiPatternInput } from './schema';

/**
 * The built-in anti-pattern catalog: known wrong patterns and their correct form. Validated by
 * `catalogSchema` when loaded. Order matters only between entries that match the same text.
 */
export const BUILTIN_CATALOG: AntiPatternInput[] = [
  {
    id: 'py-payload-key-from-row',
    language: 'python',
    exceptionClass: 'KeyError',
    // `data["price"]` where `data` is a request body dumped to a dict.
    wrong: { regex: '\\b(?<data>[A-Za-z_]\\w*)\\[(?<q>["\'])(?<key>\\w+)\\k<q>\\]' },
    correct: '$row$.$key$',
    description:
      'A KeyError on data["k"], where data is a request body and k is optional in it (the client may leave it out), while a row loaded ' +
      'from the database in the same function has the attribute k: take the value from the row. The server owns values such as a ' +
      "product's price; a value the client sends is informational at best and must not be trusted, and when it is absent the code fails.",
    confidence: 0.8,
    evidence: ['the KeyError names the key', 'a row loaded from the database in the same function declares the attribute'],
    conditions: ['key-matches-exception', 'row-attribute'],
  },
  {
    id: 'py-datetime-utcnow',
    language: 'python',
    wrong: { literal: 'datetime.datetime.utcnow()' },
    correct: 'datetime.datetime.now(datetime.timezone.utc)',
    description: 'datetime.utcnow() is deprecated (Python 3.12) and returns a naive datetime; now(timezone.utc) returns an aware one.',
    confidence: 0.6,
  },
  {
    id: 'py-utcnow-imported',
    language: 'python',
    wrong: { regex: '(?<![\\w.])datetime\\.utcnow\\(\\)' },
    correct: 'datetime.now(timezone.utc)',
    description: 'datetime.utcnow() is deprecated (Python 3.12) and returns a naive datetime; datetime.now(timezone.utc) returns an aware one.',
    confidence: 0.6,
    conditions: ['imports-timezone'],
  },
  {
    id: 'py-eq-none',
    language: 'python',
    wrong: { regex: '(?<lhs>[A-Za-z_][\\w.]*(?:\\(\\))?)\\s*(?<op>==|!=)\\s*None\\b' },
    correct: '$lhs$ $isop$ None',
    description: 'Comparing with None by == calls __eq__, which a class may override; identity (is None) is what is meant. Query filters (SQLAlchemy) are left alone: there == None builds IS NULL.',
    confidence: 0.5,
    conditions: ['not-in-query'],
  },
  {
    id: 'py-mutable-default',
    language: 'python',
    wrong: { regex: '^(?<head>[ \\t]*(?:async[ \\t]+)?def[ \\t]+\\w+\\(.*?\\b(?<arg>[A-Za-z_]\\w*)(?:[ \\t]*:[^=,()]+)?[ \\t]*=[ \\t]*)(?<value>\\[\\]|\\{\\}|list\\(\\)|dict\\(\\)|set\\(\\))(?<tail>.*\\):[ \\t]*)$' },
    correct: '$head$None$tail$\n$bodyIndent$if $arg$ is None:\n$bodyIndent$    $arg$ = $value$',
    description: 'A mutable default argument is created once and shared by every call; default to None and create a fresh value in the body.',
    confidence: 0.55,
    conditions: ['no-docstring-after'],
  },
  {
    id: 'py-bare-except',
    language: 'python',
    wrong: { regex: '^(?<indent>[ \\t]*)except[ \\t]*:' },
    correct: '$indent$except Exception:',
    description: 'A bare except also swallows KeyboardInterrupt and SystemExit and hides the real error; catch Exception at most.',
    confidence: 0.4,
  },
  {
    id: 'js-loose-null-check',
    language: 'javascript',
    wrong: { regex: '(?<lhs>[A-Za-z_$][\\w$.]*)\\s*(?<op>==|!=)\\s*null\\b' },
    correct: '$strictnull$',
    description: 'x == null is true for undefined too, which is easy to misread; say both cases out loud with strict comparisons.',
    confidence: 0.3,
  },
  {
    id: 'js-send-json-stringify',
    language: 'javascript',
    wrong: { regex: '\\b(?<res>res|response)\\.send\\(\\s*JSON\\.stringify\\((?<value>[^()]*(?:\\([^()]*\\)[^()]*)*)\\)\\s*\\)' },
    correct: '$res$.json($value$)',
    description: 'res.send(JSON.stringify(x)) answers text/html; res.json(x) sets application/json and handles the serialisation.',
    confidence: 0.7,
  },
  {
    id: 'js-missing-await',
    language: 'javascript',
    wrong: { regex: '\\b(?<res>res|response)\\.(?<send>json|send)\\(\\s*(?<fn>[A-Za-z_$][\\w$]*)\\(' },
    correct: '$res$.$send$(await $fn$(',
    description: 'An async function called without await in an Express handler sends a pending Promise (serialised as {}); await it.',
    confidence: 0.65,
    conditions: ['async-callee'],
  },
];
