/**
 * Removes the validation containers and images language servers left behind. Runs as its own
 * short process, so the server never loads the Docker client just to look:
 *
 *   node dist/reaper.js <pid>   started detached by a server on its way out, with its own process
 *                               id: removes that owner's leftovers and those of owners no longer
 *                               running (after a moment, so the owner's own clean-up cannot race it)
 *   node dist/reaper.js sweep   started by a server when it starts: removes the leftovers of owners
 *                               no longer running, at once
 *
 * Prints one line per thing removed ("removed container NAME", "removed image TAG").
 */
import { removeValidationLeftovers } from './engine/validate/leftovers';

const arg = process.argv[2] ?? 'sweep';
const owner = Number(arg);
const delayMs = arg === 'sweep' ? 0 : 500;
setTimeout(() => {
  removeValidationLeftovers({ owner: Number.isInteger(owner) && owner > 0 ? owner : -1 })
    .then((removed) => {
      for (const what of removed) process.stdout.write(`removed ${what}\n`);
    })
    .finally(() => process.exit(0));
}, delayMs);
