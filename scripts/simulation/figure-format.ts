export function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** "a 2, b 1", or "none". */
export function describeCounts(counts: Readonly<Record<string, number>>): string {
  const listed = Object.entries(counts).map(([key, count]) => `${key} ${count}`);
  return listed.length > 0 ? listed.join(', ') : 'none';
}

export function formatMinutes(minutes: number | undefined): string {
  if (minutes === undefined || !Number.isFinite(minutes)) return 'never';
  return `${minutes.toFixed(1)} min`;
}
