import { MINUTE_MS } from './simulated-clock.js';

/** Days (from the start) on which a recurring disruption happens; at least one in any run. */
export function dayOffsets(days: number, everyDays: number): number[] {
  if (days < 2) return [days / 4];
  const offsets: number[] = [];
  for (let day = 1; day < days - 0.5; day += everyDays) offsets.push(day);
  return offsets;
}

export function snapToMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}
