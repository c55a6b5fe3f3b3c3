/** The wait before retry number `attempt` (from 0): `firstMs`, doubling each time, at most `maxMs`. */
export function backoffMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(firstMs * 2 ** attempt, maxMs);
}
