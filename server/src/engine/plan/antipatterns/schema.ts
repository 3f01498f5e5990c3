import { z } from 'zod';

/**
 * An anti-pattern catalog entry: a wrong pattern, the correct one, and when it applies.
 *
 * `wrong` is a regular expression (JavaScript syntax, named groups allowed) matched within one
 * line, or a literal in which `$name$` stands for an identifier or dotted name and `$key$`-style
 * placeholders inside quotes stand for the quoted text. `correct` is a template: `$name$` is a
 * group or placeholder of `wrong`; `$indent$` the matched line's indentation; `$bodyIndent$` one
 * level deeper; `$row$` the variable found by the `row-attribute` condition.
 *
 * Conditions are checks that text alone cannot express; each is implemented by the planner:
 * - `key-matches-exception`: the `key` group equals the key a KeyError names.
 * - `row-attribute`: a variable loaded from the database earlier in the same function has an
 *   attribute named like `key` (its class is found from `db.get(Model, ...)`, `session.get(...)`, or a
 *   loader's return annotation, and the class declares the attribute). Binds `$row$`.
 * - `not-in-query`: the line is not a query filter (`.where(`, `.filter(`), where `== None` is meant.
 * - `imports-timezone`: the file imports `timezone` from `datetime`.
 * - `async-callee`: the `fn` group names an async function declared in the file, and the enclosing
 *   function is itself async.
 * - `no-docstring-after`: the next line is not a docstring (a statement can be inserted before the body).
 */

export const CONDITIONS = ['key-matches-exception', 'row-attribute', 'not-in-query', 'imports-timezone', 'async-callee', 'no-docstring-after'] as const;

export const antiPatternSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'an id is lower-case letters, digits and dashes'),
  language: z.enum(['python', 'javascript']),
  /** The exception this pattern raises, when it raises one; entries without one match anywhere in the failing function. */
  exceptionClass: z.string().min(1).optional(),
  wrong: z.union([z.strictObject({ regex: z.string().min(1) }), z.strictObject({ literal: z.string().min(1) })]),
  correct: z.string(),
  description: z.string().min(1),
  confidence: z.number().min(0).max(1),
  evidence: z.array(z.string().min(1)).default([]),
  conditions: z.array(z.enum(CONDITIONS)).default([]),
});

export const catalogSchema = z.array(antiPatternSchema).superRefine((entries, ctx) => {
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (seen.has(e.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `"${e.id}" is listed twice` });
    seen.add(e.id);
    if ('regex' in e.wrong) {
      try {
        new RegExp(e.wrong.regex);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: [i, 'wrong', 'regex'], message: `not a regular expression: ${(err as Error).message}` });
      }
    }
  });
});

export type AntiPattern = z.infer<typeof antiPatternSchema>;
export type AntiPatternInput = z.input<typeof antiPatternSchema>;
