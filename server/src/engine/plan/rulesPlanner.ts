import type { NoPlan, PlanningContext, Planner, PlannerOutcome, Rule } from '../contracts';
import type { FixPlanInput } from '../fixPlan';
import { staticEvidence, wantsStaticEvidence } from './staticEvidence';

function isNoPlan(value: FixPlanInput | NoPlan): value is NoPlan {
  return typeof (value as NoPlan).code === 'string' && typeof (value as NoPlan).reason === 'string' && !('operations' in value);
}

/**
 * The deterministic planner: asks every rule that applies, in list order, and returns all their
 * plans (the chain takes the first that parses). When none has a plan, the answer names each
 * rule that was asked and what it said. A server error that left no trace is then read from the
 * code of its handler (staticEvidence.ts): each finding is given to the rules as the trace the
 * app would have logged, and the plans say that their evidence was read from the code.
 */
export function rulesPlanner(rules: Rule[]): Planner {
  return {
    name: 'rules',
    async plan(ctx): Promise<PlannerOutcome> {
      const first = await askRules(rules, ctx);
      if (first.plans.length > 0) return { ok: true, plans: first.plans };
      const said = first.said;
      if (wantsStaticEvidence(ctx)) {
        let found;
        try {
          found = await staticEvidence(ctx);
        } catch (err) {
          found = { findings: [] as [], reason: `reading the handler failed: ${(err as Error).message}` };
        }
        if ('reason' in found) said.push({ rule: 'code', code: 'not_applicable', reason: found.reason });
        for (const f of found.findings) {
          const asked = await askRules(rules, { ...ctx, violation: { ...ctx.violation, trace: f.trace } });
          if (asked.plans.length > 0) {
            const plans = asked.plans.map((p) => ({ ...p, evidence: [f.evidence, ...(p.evidence ?? [])] }));
            return { ok: true, plans };
          }
          said.push({ rule: 'code', code: 'insufficient_evidence', reason: `${f.evidence}; but ${asked.said.map((s) => `${s.rule}: ${s.reason}`).join('; ') || 'no rule applies to it'}` });
        }
      }
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

/** Every rule that applies, asked in order: their plans, and what the others said. */
async function askRules(rules: Rule[], ctx: PlanningContext): Promise<{ plans: FixPlanInput[]; said: Array<{ rule: string } & NoPlan> }> {
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
  return { plans, said };
}
