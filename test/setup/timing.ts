/** The fastest of `runs` calls of `fn`, in ms: the one least disturbed by the rest of the machine (for growth checks, not speed limits). */
export function fastestMs(fn: () => unknown, runs: number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}
