/** The most of the (ascending) times that fall inside any window `windowMs` long. */
export function maxInWindow(sortedTimes: readonly number[], windowMs: number): number {
  let max = 0;
  let first = 0;
  for (let last = 0; last < sortedTimes.length; last += 1) {
    while ((sortedTimes[last] ?? 0) - (sortedTimes[first] ?? 0) >= windowMs) first += 1;
    max = Math.max(max, last - first + 1);
  }
  return max;
}
