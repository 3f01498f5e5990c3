import { z } from 'zod';

/**
 * The FixPlan: strict JSON that says what to change and why, never how the bytes change (the
 * patch generator does that). Every planner, the LLM's included, produces this and nothing else.
 * Unknown keys are rejected; files are normalised and sorted; each operation names one file that
 * is in `files`.
 */

export const MAX_OPERATIONS = 10;

export const FIX_CATEGORIES = [
  'DEPENDENCY',
  'IMPORT',
  'UNUSED_IMPORT',
  'ROUTE',
  'STATUS_CODE',
  'ANTI_PATTERN',
  'LOGIC',
  'CONFIG',
] as const;
export type FixCategory = (typeof FIX_CATEGORIES)[number];

export const OPERATION_TYPES = [
  'add_dependency',
  'pin_dependency',
  'sync_lockfile',
  'remove_unused',
  'add_import',
  'include_router',
  'update_route',
  'set_status_code',
  'replace_pattern',
  'modify_code',
] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

/** Workspace-relative, forward slashes, no `.`/`..` segments, not absolute. */
export const workspacePath = z
  .string()
  .min(1)
  .transform((p) => p.replace(/\\/g, '/').replace(/^\.\//, ''))
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p), 'a path inside the workspace, relative to it (not absolute)')
  .refine((p) => !p.split('/').some((s) => s === '..' || s === '.' || s === ''), 'a normalised relative path (no "..", "." or empty segments)');

const text = z.string().min(1);
const common = {
  file: workspacePath,
  rationale: text,
  evidence: z.array(text).default([]),
};

export const operationSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('add_dependency'),
    ...common,
    details: z.strictObject({
      /** Distribution / package name as the registry knows it (python-slugify, csv-stringify). */
      name: text,
      /** Version specifier, e.g. `>=8,<9` or `^6.0.0`; omitted for "any". */
      version: z.string().optional(),
      /** The name the code imports (slugify), when it differs. */
      importName: z.string().optional(),
      /** Dependency group: Poetry group, npm devDependencies (`dev`), PEP 621 optional extra. */
      group: z.string().optional(),
    }),
  }),
  z.strictObject({
    type: z.literal('pin_dependency'),
    ...common,
    details: z.strictObject({ name: text, version: text }),
  }),
  z.strictObject({
    type: z.literal('sync_lockfile'),
    ...common,
    details: z.strictObject({
      /** The package manager whose lockfile is brought in line with its manifest (the manifest sits beside it). */
      manager: z.enum(['npm']),
    }),
  }),
  z.strictObject({
    type: z.literal('remove_unused'),
    ...common,
    details: z.strictObject({
      /** Imported names (as bound in the module) to remove. */
      names: z.array(text).min(1),
      /** 1-based line of the import statement, when known. */
      line: z.number().int().positive().optional(),
      /** In a package's `__init__.py`: no workspace module imports these names from the package, so they are not re-exports. */
      notReexported: z.boolean().optional(),
    }),
  }),
  z.strictObject({
    type: z.literal('add_import'),
    ...common,
    details: z.strictObject({
      /** The name that is undefined (uuid, normalizeTitle). */
      name: text,
      /** Where it comes from: a module (`uuid`, `../text`, `app.services.pricing`). */
      module: text,
      /** `module` imports the module itself (import uuid); `named` imports the name from it. */
      style: z.enum(['module', 'named', 'default']),
    }),
  }),
  z.strictObject({
    type: z.literal('include_router'),
    ...common,
    details: z.strictObject({
      framework: z.enum(['fastapi', 'flask', 'express']),
      /** The module that defines the router, as the app file would import it (`app.routers.reviews`, `./routes/tags`). */
      module: text,
      /** The router's name in that module (`router`, `bp`), or `default` for module.exports. */
      router: text,
      /** Mount path, when the router has no prefix of its own (`/tags`). */
      mountPath: z.string().optional(),
    }),
  }),
  z.strictObject({
    type: z.literal('update_route'),
    ...common,
    details: z.strictObject({
      method: text,
      from: text,
      to: text,
      line: z.number().int().positive().optional(),
      /** `mount`: the path is a mount path or router prefix (`app.use('/x', r)`, `prefix=`, `url_prefix=`) rather than a route's own. */
      target: z.enum(['route', 'mount']).optional(),
    }),
  }),
  z.strictObject({
    type: z.literal('set_status_code'),
    ...common,
    details: z.strictObject({
      method: text,
      path: text,
      from: z.number().int().min(100).max(599),
      to: z.number().int().min(100).max(599),
      line: z.number().int().positive().optional(),
    }),
  }),
  z.strictObject({
    type: z.literal('replace_pattern'),
    ...common,
    details: z.strictObject({
      /** Anti-pattern catalog id that matched. */
      pattern: text,
      /** Exact text to find; must occur exactly once in the file. */
      find: text,
      replace: z.string(),
    }),
  }),
  z.strictObject({
    type: z.literal('modify_code'),
    ...common,
    details: z.strictObject({
      /** Exact text to find; must occur exactly once in the file. */
      find: text,
      replace: z.string(),
    }),
  }),
]);
export type Operation = z.infer<typeof operationSchema>;

export const fixPlanSchema = z
  .strictObject({
    root_cause: text,
    category: z.enum(FIX_CATEGORIES),
    confidence: z.number().min(0).max(1),
    files: z.array(workspacePath).min(1),
    operations: z.array(operationSchema).min(1).max(MAX_OPERATIONS),
    evidence: z.array(text).default([]),
  })
  .superRefine((plan, ctx) => {
    const seen = new Set<string>();
    plan.files.forEach((f, i) => {
      if (seen.has(f)) ctx.addIssue({ code: 'custom', path: ['files', i], message: `"${f}" is listed twice` });
      seen.add(f);
    });
    plan.operations.forEach((op, i) => {
      if (!seen.has(op.file)) ctx.addIssue({ code: 'custom', path: ['operations', i, 'file'], message: `"${op.file}" is not in files` });
    });
  })
  .transform((plan) => ({
    ...plan,
    files: [...plan.files].sort(),
    evidence: [...plan.evidence].sort(),
    operations: plan.operations.map((op) => ({ ...op, evidence: [...op.evidence].sort() })),
  }));
export type FixPlan = z.infer<typeof fixPlanSchema>;
/** A plan as a planner writes it, before normalisation. */
export type FixPlanInput = z.input<typeof fixPlanSchema>;
