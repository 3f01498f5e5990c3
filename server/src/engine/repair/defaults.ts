import type { SmokeConfig } from '../config/schema';
import { EXECUTORS, type ExecutorMap } from '../patch/registry';
import { explainingAntiPatternPlanner, smellAntiPatternPlanner } from '../plan/antipatterns';
import { createLlmPlanner, LLM_EDITOR_ONLY, llmUnavailable, type CreateLlmPlannerOptions } from '../plan/llm';
import { rulesPlanner } from '../plan/rulesPlanner';
import { learnedPlanner } from '../plan/learned';
import { RULES } from '../plan/rules';
import { validatePatch } from '../validate';
import type { Planner } from '../contracts';
import type { Validator } from '../contracts';

/**
 * The one place where the product's planners, executors and validator are wired. Everything
 * else takes them as parameters.
 */

/**
 * The planner chain: known fixes that never failed, anti-patterns that explain the exception, the
 * rules, known fixes that failed somewhere, wrong patterns that merely sit in the failing function,
 * then the LLM when configured. A known fix that fails validation gives way to the rest of the chain.
 */
export function defaultPlanners(config: SmokeConfig, llm: CreateLlmPlannerOptions = {}): Planner[] {
  const planners: Planner[] = [];
  planners.push(learnedPlanner('clean'));
  planners.push(explainingAntiPatternPlanner);
  planners.push(rulesPlanner(RULES));
  planners.push(learnedPlanner('with-failures'));
  planners.push(smellAntiPatternPlanner);
  const model = createLlmPlanner(config, llm);
  if (model) planners.push(model);
  // A model configured for the editor only: say so where it cannot be asked (the command line).
  else if (llmUnavailable(config, llm) === LLM_EDITOR_ONLY) planners.push({ name: 'llm', plan: async () => ({ ok: false, noPlan: LLM_EDITOR_ONLY }) });
  return planners;
}

export const defaultExecutors: ExecutorMap = EXECUTORS;

export const defaultValidator: Validator | undefined = validatePatch;
