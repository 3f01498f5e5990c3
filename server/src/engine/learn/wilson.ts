/**
 * The lower bound of the Wilson score interval for a success rate: how sure the evidence lets us
 * be that a fix works, so 1 of 1 ranks below 9 of 10. z = 1.96 is the 95% interval.
 */
export function wilsonLowerBound(successes: number, attempts: number, z = 1.96): number {
  if (attempts <= 0) return 0;
  const s = Math.min(Math.max(successes, 0), attempts);
  const p = s / attempts;
  const z2 = z * z;
  const centre = p + z2 / (2 * attempts);
  const margin = z * Math.sqrt((p * (1 - p) + z2 / (4 * attempts)) / attempts);
  return Math.max(0, (centre - margin) / (1 + z2 / attempts));
}
