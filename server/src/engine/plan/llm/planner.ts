import { Redactor } from '../../redact';
import type { NoPlan, Planner, PlannerOutcome, PlanningContext } from '../../contracts';
import { parsePlanOutput } from './parse';
import { buildPlanPrompt, buildRegeneratePrompt, repairMessages } from './prompt';
import { LlmError, type ChatMessage, type LlmLog, type LlmProvider } from './provider';
import type { FixPlanInput } from '../../fixPlan';

/**
 * The LLM planner: one prompt, one FixPlan as JSON. Invalid JSON or schema errors get at most
 * `repairRetries` repair requests carrying the errors and the previous answer; after that the
 * planner gives up with `llm_invalid_output`. A failed request gives `llm_error`. The model's
 * text is only ever parsed into a FixPlan: it never becomes a diff.
 */

export const REPAIR_RETRIES = 2;

/** A NoPlan with what the LLM planner knows about the failure. */
export type LlmNoPlan = NoPlan & {
  /** Chat requests made. */
  attempts: number;
  /** The errors found in the last answer (llm_invalid_output). */
  errors?: string[];
  /** HTTP status of the failed request (llm_error). */
  status?: number;
};

export interface LlmPlannerOptions {
  maxOperations: number;
  repairRetries?: number;
  signal?: AbortSignal;
  log?: LlmLog;
}

/** What a planner asks a model for: a plan (the planner chain), or a regeneration of the failing code (the loop, at a plateau). */
export type LlmMode = 'plan' | 'regenerate';

const MODES: Record<LlmMode, { name: string; prompt: (ctx: PlanningContext, maxOperations: number) => Promise<ChatMessage[]>; check: (plan: FixPlanInput) => string[] }> = {
  plan: { name: 'llm', prompt: (ctx, maxOperations) => buildPlanPrompt(ctx, { maxOperations }), check: () => [] },
  regenerate: {
    name: 'llm-regenerate',
    prompt: (ctx, maxOperations) => buildRegeneratePrompt(ctx, { maxOperations }),
    // A regeneration rewrites code: any other operation is sent back like a schema error.
    check: (plan) => plan.operations.flatMap((op, i) => (op.type === 'modify_code' ? [] : [`operations[${i}].type: a regeneration uses modify_code only (got ${op.type})`])),
  },
};

export function createPlannerFromProvider(provider: LlmProvider, opts: LlmPlannerOptions & { mode?: LlmMode }): Planner {
  const retries = opts.repairRetries ?? REPAIR_RETRIES;
  const log = opts.log ?? (() => {});
  const mode = MODES[opts.mode ?? 'plan'];
  return {
    name: mode.name,
    async plan(ctx: PlanningContext): Promise<PlannerOutcome> {
      const base = await mode.prompt(ctx, opts.maxOperations);
      const redactor = ctx.redactor ?? Redactor.patterns;
      let messages = base;
      let errors: string[] = [];
      for (let attempt = 1; attempt <= retries + 1; attempt++) {
        let text: string;
        try {
          // Only redacted text leaves the machine, and what leaves is recorded.
          const sent = messages.map((m) => ({ ...m, content: redactor.code(m.content) }));
          ctx.sent?.({ planner: mode.name, provider: provider.name, sentAt: Date.now(), messages: sent });
          text = (await provider.chat(sent, { temperature: 0, responseFormat: 'json', signal: opts.signal })).text;
        } catch (err) {
          const e = err instanceof LlmError ? err : new LlmError('network', (err as Error)?.message ?? String(err));
          const noPlan: LlmNoPlan = {
            code: 'llm_error',
            reason: `the ${provider.name} model could not be asked (${e.kind}): ${e.message}`,
            attempts: attempt,
            ...(e.status !== undefined ? { status: e.status } : {}),
          };
          log(`${mode.name} planner: ${ctx.violation.id}: ${noPlan.reason}`);
          return { ok: false, noPlan };
        }
        const parsed = await parsePlanOutput(text, { files: ctx.files, read: ctx.read, maxOperations: opts.maxOperations });
        errors = parsed.ok ? mode.check(parsed.plan) : parsed.errors;
        if (parsed.ok && errors.length === 0) {
          log(`${mode.name} planner: ${ctx.violation.id}: a plan after ${attempt} request(s)`);
          return { ok: true, plans: [parsed.plan] };
        }
        log(`${mode.name} planner: ${ctx.violation.id}: answer ${attempt} rejected: ${errors.join('; ')}`);
        messages = repairMessages(base, text, errors);
      }
      const noPlan: LlmNoPlan = {
        code: 'llm_invalid_output',
        reason: `the model's answer was not a valid ${opts.mode === 'regenerate' ? 'regeneration' : 'FixPlan'} after ${retries + 1} requests: ${errors.join('; ')}`,
        attempts: retries + 1,
        errors,
      };
      return { ok: false, noPlan };
    },
  };
}
