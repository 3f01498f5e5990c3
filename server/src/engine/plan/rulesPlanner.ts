import type { NoPlan, Planner, PlannerOutcome, Rule } from '../repair/types';
import type { FixPlanInput } from './schema';

function isNoPlan(value: FixPlanInput | NoPlan): value is NoPlan {
  return typeof (value as NoPlan).code === 'string' && typeof (value as NoPlan).reason === 'string' && !('operations' in value);
}

/**
 * The deterministic planner: asks every rule that applies, in list order, and returns all their
 * plans (the chain takes the first that parses). When none has a plan, the answer names each
 * rule that was asked and what it said.
 */
export function rulesPlanner(rules: Rule[]): Planner {
  return {
    name: 'rules',
    async plan(ctx): Promise<PlannerOutcome> {
      const plans: FixPlanInput[] = [];
      const said: Array<{ rule: string } & NoPlan> = [];
      for (const rule of rules) {
        let applies = false;
        try {
          applies = rule.applies(ctx);
        } catch (err) {
          said.push({ rule: rule.id, code: 'not_applicable', reason: `could not decide: ${(err as Error).message}` });
          continue;
        }
        if (!applies) continue;
        try {
          const answer = await rule.plan(ctx);
          if (isNoPlan(answer)) said.push({ rule: rule.id, ...answer });
          else plans.push(answer);
        } catch (err) {
          said.push({ rule: rule.id, code: 'insufficient_evidence', reason: `failed: ${(err as Error).message}` });
        }
      }
      if (plans.length > 0) return { ok: true, plans };
      const v = ctx.violation;
      if (said.length === 0) {
        const exception = v.trace?.exceptionClass ? `, ${v.trace.exceptionClass}` : '';
        return {
          ok: false,
          noPlan: { code: 'no_rule', reason: `no rule applies to ${v.failureType}/${v.strategy} (status ${v.actualStatus}${exception})` },
        };
      }
      const code = said.find((s) => s.code !== 'not_applicable')?.code ?? 'not_applicable';
      return { ok: false, noPlan: { code, reason: said.map((s) => `${s.rule}: ${s.reason}`).join('; ') } };
    },
  };
}
