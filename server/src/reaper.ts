/**
 * Removes the validation containers and images a language server process left behind when it was
 * stopped mid-validation (its editor closed, its input ended, its parent died): the server starts
 * this, detached, on its way out, with its own process id. Also sweeps those of other owners that
 * are no longer running.
 *
 *   node dist/reaper.js <pid>
 */
import { removeValidationLeftovers } from './engine/validate/leftovers';

const owner = Number(process.argv[2]);
// Give the exiting owner a moment to be gone, so its own finally blocks cannot race this.
setTimeout(() => {
  removeValidationLeftovers({ owner: Number.isInteger(owner) && owner > 0 ? owner : -1 }).finally(() => process.exit(0));
}, 500);
