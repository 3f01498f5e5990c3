import type { FailureType, SmokeReport } from '../model';

/**
 * Retries before repairs: a failure of a kind that a second try can clear (a reset, a rate limit,
 * an app that was down) is run again after a backoff before anything is planned for it; an INFRA
 * failure gets the app restarted first. Per failure type: how many tries and how fast the delay
 * grows (base × multiplier^(try − 1), capped); for the whole loop at most `maxAttempts` retry
 * rounds, and at most `maxPerStep` in one step (one iteration's smoke run).
 */

export interface RetryRule {
  attempts: number;
  multiplier: number;
}

export interface RetryPolicy {
  types: Record<FailureType, RetryRule>;
  baseMs: number;
  capMs: number;
  maxAttempts: number;
  maxPerStep: number;
}

const none: RetryRule = { attempts: 0, multiplier: 1 };

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  types: {
    TRANSIENT: { attempts: 3, multiplier: 2.0 },
    INFRA: { attempts: 2, multiplier: 1.5 },
    RUNTIME: { attempts: 1, multiplier: 1.0 },
    RATE_LIMIT: { attempts: 3, multiplier: 2.0 },
    UNKNOWN: { attempts: 2, multiplier: 1.5 },
    TEST_ASSERT: none,
    LINT: none,
    TYPECHECK: none,
    SECURITY: none,
    POLICY: none,
    SCHEMA_MIGRATION: none,
  },
  baseMs: 1000,
  capMs: 60_000,
  maxAttempts: 6,
  maxPerStep: 3,
};

/** The delay before try `n` (1-based) of a failure of this type. */
export function retryDelayMs(policy: RetryPolicy, type: FailureType, n: number): number {
  const rule = policy.types[type] ?? none;
  return Math.round(Math.min(policy.capMs, policy.baseMs * rule.multiplier ** Math.max(0, n - 1)));
}

/** One retry round, as the loop record keeps it. */
export interface RetryRound {
  /** The scenarios run again, and their failure types. */
  scenarios: string[];
  types: FailureType[];
  delayMs: number;
  /** The app was restarted first (an INFRA failure). */
  restarted?: string;
  /** Those that passed when run again: nothing is planned for them. */
  recovered: string[];
}

/** What the loop gives the retries: a fresh smoke run, an app restart, and a clock. */
export interface RetrySteps {
  smoke(): Promise<SmokeReport>;
  restart(): Promise<string>;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Tries counted over the whole loop: per scenario, and in all. */
export class RetryBudget {
  private readonly tries = new Map<string, number>();
  private total = 0;
  constructor(readonly policy: RetryPolicy) {}

  get used(): number {
    return this.total;
  }

  /** The failures of a report that may still be tried again, with the try each would be. */
  candidates(report: SmokeReport): Array<{ scenarioId: string; name: string; type: FailureType; n: number }> {
    if (this.total >= this.policy.maxAttempts) return [];
    return report.violations
      .map((v) => ({ scenarioId: v.scenarioId, name: v.scenario, type: v.failureType, n: (this.tries.get(v.scenarioId) ?? 0) + 1 }))
      .filter((c) => c.n <= (this.policy.types[c.type] ?? none).attempts);
  }

  take(ids: string[]): void {
    this.total++;
    for (const id of ids) this.tries.set(id, (this.tries.get(id) ?? 0) + 1);
  }
}

/**
 * Run the failures that a retry may clear again, round by round (the app restarted first when one
 * is INFRA), until none is left to retry or a budget is spent. Returns the report to plan from.
 */
export async function settleFailures(report: SmokeReport, budget: RetryBudget, steps: RetrySteps, signal?: AbortSignal): Promise<{ report: SmokeReport; rounds: RetryRound[] }> {
  const rounds: RetryRound[] = [];
  let current = report;
  for (let step = 0; step < budget.policy.maxPerStep; step++) {
    const due = budget.candidates(current);
    if (due.length === 0) break;
    signal?.throwIfAborted();
    const delayMs = Math.max(...due.map((c) => retryDelayMs(budget.policy, c.type, c.n)));
    const restarted = due.some((c) => c.type === 'INFRA') ? await steps.restart() : undefined;
    await steps.sleep(delayMs, signal);
    signal?.throwIfAborted();
    budget.take(due.map((c) => c.scenarioId));
    const next = await steps.smoke();
    const stillFailing = new Set(next.violations.map((v) => v.scenarioId));
    rounds.push({
      scenarios: due.map((c) => c.name),
      types: [...new Set(due.map((c) => c.type))],
      delayMs,
      ...(restarted !== undefined ? { restarted } : {}),
      recovered: due.filter((c) => !stillFailing.has(c.scenarioId)).map((c) => c.name),
    });
    current = next;
  }
  return { report: current, rounds };
}
