import type { NoPlan, Planner, PlannerOutcome, PlanningContext } from '../contracts';
import type { FixPlanInput } from '../fixPlan';
import { patternStoreFor, type FixPattern, type PatternStore } from '../learn';
import { exceptionMessage, signatureOf } from '../learn/learner';
import { messageValues } from '../learn/signature';

/**
 * The learned planner: a fix that worked before for the same kind of failure, made again for this
 * site. Its patterns are looked up by exception class and endpoint, then by message shape; the
 * abstract edit's placeholders are filled from this failure (`{0}` the first name its message
 * quotes, `{file}` the file it points at) and the plan goes through policy, patch and validation
 * like any other. Two slots in the chain: patterns that never failed come before the rules
 * (`learned`), those with failures after them (`learned (with failures)`).
 */

type Edit = { operations?: Array<{ type: string; file: string; details: unknown }> };

const CATEGORY: Record<string, FixPlanInput['category']> = {
  add_import: 'IMPORT',
  remove_unused: 'UNUSED_IMPORT',
  add_dependency: 'DEPENDENCY',
  pin_dependency: 'DEPENDENCY',
  sync_lockfile: 'DEPENDENCY',
  include_router: 'ROUTE',
  update_route: 'ROUTE',
  set_status_code: 'STATUS_CODE',
  replace_pattern: 'ANTI_PATTERN',
  modify_code: 'LOGIC',
};

/** Fill a value's placeholders; undefined when one cannot be filled here. */
function fill(value: unknown, values: string[], file: string | undefined): unknown {
  if (typeof value === 'string') {
    let missing = false;
    const out = value.replace(/\{(\d+)\}/g, (_, i: string) => {
      const v = values[Number(i)];
      if (v === undefined) missing = true;
      return v ?? '';
    });
    if (missing) return undefined;
    if (out === '{file}') return file;
    return out;
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => fill(v, values, file));
    return items.some((v) => v === undefined) ? undefined : items;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, fill(v, values, file)] as const);
    return entries.some(([, v]) => v === undefined) ? undefined : Object.fromEntries(entries);
  }
  return value;
}

/** The plan a pattern makes for this failure, or why it cannot make one here. */
export function planFromPattern(p: FixPattern, ctx: Pick<PlanningContext, 'violation' | 'files'>): FixPlanInput | string {
  const edit = p.edit as Edit;
  if (!Array.isArray(edit?.operations) || edit.operations.length === 0) return 'its edit has no operations';
  const v = ctx.violation;
  const file = v.location && v.locationKind !== 'scenario' && v.locationKind !== 'none' ? v.location.file : undefined;
  // As the learner read them: from the violation's message, so the placeholders mean the same values.
  const values = messageValues(exceptionMessage(v.message));
  const operations: NonNullable<FixPlanInput['operations']> = [];
  for (const op of edit.operations) {
    const target = op.file === '{file}' ? file : /^\{file:\d+\}$/.test(op.file) ? undefined : ctx.files.find((f) => f === op.file || f.endsWith(`/${op.file}`)) ?? op.file;
    if (!target) return `its edit changes ${op.file === '{file}' ? 'the file the failure points at, and this failure points at none' : 'several files'}`;
    const details = fill(op.details, values, target);
    if (details === undefined) return "its edit needs a name this failure's message does not give";
    operations.push({ type: op.type, file: target, rationale: `known fix: ${p.successes} of ${p.attempts} attempts succeeded`, evidence: [`pattern ${p.key}`], details } as NonNullable<FixPlanInput['operations']>[number]);
  }
  return {
    root_cause: `known fix (${p.successes} of ${p.attempts} succeeded${p.promoted ? ', proven' : ''}): ${p.fixType} for ${p.signature.exceptionClass ?? p.signature.failureType}${p.signature.messageShape ? `: ${p.signature.messageShape}` : ''}`,
    category: CATEGORY[op0(edit)] ?? 'LOGIC',
    confidence: Math.max(0.05, Math.min(1, p.lowerBound)),
    files: [...new Set(operations.map((o) => o.file))],
    operations,
    evidence: [`learned from ${p.sources.join(', ')}: tried at ${p.endpoints.slice(0, 3).join(', ')}`],
  };
}

const op0 = (e: Edit) => e.operations?.[0]?.type ?? '';

/** A learned planner over the patterns that never failed (`clean`) or over those that did. */
export function learnedPlanner(which: 'clean' | 'with-failures', open: (ctx: Pick<PlanningContext, 'workspace' | 'config'>) => Promise<PatternStore> = (ctx) => patternStoreFor(ctx.workspace, ctx.config.learning)): Planner {
  const name = which === 'clean' ? 'learned' : 'learned (with failures)';
  return {
    name,
    async plan(ctx): Promise<PlannerOutcome> {
      const none = (reason: string): PlannerOutcome => ({ ok: false, noPlan: { code: 'not_applicable', reason } satisfies NoPlan });
      if (ctx.config.learning?.enabled === false) return none('learning is off (learning.enabled: false)');
      let found: FixPattern[];
      try {
        const store = await open(ctx);
        const sig = signatureOf({ ...ctx.violation, ...(ctx.violation.trace?.exceptionClass ? { exceptionClass: ctx.violation.trace.exceptionClass } : {}) }, ctx.violation.trace?.message ?? ctx.violation.message);
        found = await store.lookup(sig, 10);
      } catch (err) {
        return none(`the pattern store cannot be read: ${(err as Error).message}`);
      }
      const usable = found.filter((p) => p.successes > 0 && (which === 'clean' ? p.failures + p.reverted + p.rejected === 0 : p.failures + p.reverted + p.rejected > 0));
      if (usable.length === 0) return none(found.length ? `no ${which === 'clean' ? 'pattern without failures' : 'pattern with failures'} among ${found.length} for this kind of failure` : 'no pattern learned for this kind of failure');
      const plans: FixPlanInput[] = [];
      const why: string[] = [];
      for (const p of usable) {
        const plan = planFromPattern(p, ctx);
        const misfit = typeof plan === 'string' ? plan : await textMissing(plan, ctx);
        if (misfit) why.push(`${p.key}: ${misfit}`);
        else plans.push(plan as FixPlanInput);
      }
      return plans.length ? { ok: true, plans } : none(`no pattern fits this site: ${why.join('; ')}`);
    },
  };
}

/** Why a plan's find-and-replace cannot apply here (its text is not in the file once), or undefined. */
async function textMissing(plan: FixPlanInput, ctx: Pick<PlanningContext, 'read'>): Promise<string | undefined> {
  for (const op of plan.operations ?? []) {
    const find = (op.details as { find?: unknown } | undefined)?.find;
    if (typeof find !== 'string') continue;
    const text = await ctx.read(op.file);
    if (text === undefined) return `${op.file} does not exist`;
    const at = text.indexOf(find);
    if (at < 0) return `the text its edit replaces is not in ${op.file}`;
    if (text.indexOf(find, at + 1) >= 0) return `the text its edit replaces occurs more than once in ${op.file}`;
  }
  return undefined;
}
