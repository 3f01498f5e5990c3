import type { RepairRecord } from '../contracts';
import { attemptOf, recordAttempt, type LearnableRecord } from './learner';
import type { LearningConfig } from '../config/schema';
import { patternStoreFor } from './stores';

/**
 * Learning's public face: the learner, the stores, and the events the loop and the approvals add
 * (a fix rolled back for a regression, a fix a person rejected).
 */

export { abstractEdit, attemptOf, learnFromRecords, outcomeOf, signatureOf, type LearnableRecord } from './learner';
export { EmbeddedPatternStore, type PatternStore } from './store';
export { closePatternStores, LayeredPatternStore, learningOf, openTeamStore, patternStoreFor, userStoreFile, type LayeredPattern, type LayerName } from './stores';
export { Neo4jPatternStore, TeamStoreError, type TeamStoreStatus } from './neo4j';
export { PROMOTION, type AntiPattern, type FixPattern, type Outcome, type PatternSource } from './patterns';
export { endpointPattern, messageShape, type FailureSignature } from './signature';
export { wilsonLowerBound } from './wilson';

/** Fixes rolled back for a regression: each counts against its pattern as reverted. */
export async function learnReverted(workspace: string, records: readonly Pick<RepairRecord, 'violation' | 'plan' | 'planner' | 'applied' | 'validation' | 'diff'>[], learning?: LearningConfig): Promise<void> {
  await learnOutcome(workspace, records, 'reverted', learning);
}

/** A fix a person rejected counts against its pattern. */
export async function learnRejected(workspace: string, record: LearnableRecord, learning?: LearningConfig): Promise<void> {
  await learnOutcome(workspace, [record], 'rejected', learning);
}

async function learnOutcome(workspace: string, records: readonly LearnableRecord[], outcome: 'reverted' | 'rejected', learning: LearningConfig = {}): Promise<void> {
  if (learning.enabled === false) return;
  const attempts = records.map((r) => attemptOf(r, outcome)).filter((a) => a !== undefined);
  if (attempts.length === 0) return;
  // Learning never stops a rollback or a decision: a store that cannot be written loses this event only.
  try {
    const store = await patternStoreFor(workspace, learning);
    for (const a of attempts) await recordAttempt(store, a);
  } catch {
    /* the pattern store is not writable: nothing else depends on it */
  }
}
