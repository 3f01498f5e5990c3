import type { LearningConfig } from '../config/schema';
import type { KnownFix } from '../contracts';
import type { FixPlan } from '../fixPlan';
import type { Violation } from '../model';
import { violationSummary } from '../records';
import { attemptOf, signatureOf } from './learner';
import { patternKey, PROMOTION, type FixPattern } from './patterns';
import { patternStoreFor } from './stores';

/**
 * What learning knows of a plan before it is tried: the pattern with the same edit for the same
 * kind of failure, if any. A plan whose edit failed (validation, a rollback, a person's no) at least
 * as often as it worked is an anti-pattern here: the chain tries it after every other plan and says
 * why; one that worked is labelled with its record ("known fix, 9 of 10 succeeded").
 */
export async function knownFixes(workspace: string, learning: LearningConfig | undefined, violation: Violation): Promise<(plan: FixPlan) => KnownFix | undefined> {
  const none = () => undefined;
  if (learning?.enabled === false) return none;
  const summary = violationSummary(violation);
  let found: FixPattern[];
  try {
    const store = await patternStoreFor(workspace, learning);
    found = await store.lookup(signatureOf(summary), 50);
  } catch {
    return none; // an unreadable store plans as if nothing were learned
  }
  if (found.length === 0) return none;
  const byKey = new Map(found.map((p) => [p.key, p]));
  return (plan) => {
    const a = attemptOf({ violation: summary, plan, planner: 'any', applied: true }, 'success');
    const p = a && byKey.get(patternKey(a));
    if (!p) return undefined;
    const failed = p.failures + p.reverted + p.rejected;
    return {
      key: p.key,
      attempts: p.attempts,
      successes: p.successes,
      failed,
      rejected: p.rejected,
      reverted: p.reverted,
      promoted: p.promoted,
      sources: p.sources,
      bad: failed > 0 && failed >= p.successes && !(p.promoted && p.lowerBound >= PROMOTION.threshold),
    };
  };
}

/** "known fix, 9 of 10 succeeded" / "known to fail: 0 of 2 succeeded, 1 rejected by a person". */
export function knownLabel(k: KnownFix): string {
  const parts = [k.rejected ? `${k.rejected} rejected` : '', k.reverted ? `${k.reverted} rolled back` : ''].filter(Boolean);
  const tail = parts.length ? ` (${parts.join(', ')})` : '';
  return k.bad ? `known to fail, ${k.successes} of ${k.attempts} succeeded${tail}` : `known fix, ${k.successes} of ${k.attempts} succeeded${k.promoted ? ', proven' : ''}${tail}`;
}
