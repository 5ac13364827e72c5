import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The scenarios whose consumer columns once differed between processes: outages, Access Denied, bursts. */
const ARGS = [
  '--days',
  '2',
  '--seed',
  '20261130',
  '--scenario',
  'outage-45m',
  '--scenario',
  'access-denied',
  '--scenario',
  'forced-refresh-burst',
];

/** `npm run simulate -- ARGS` without npm: the same script in a fresh Node process. */
function simulate(): Promise<{ code: number; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--no-warnings', 'scripts/simulate.ts', ...ARGS],
      { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        const code = error ? error.code : 0;
        // 1 is a missed target, still a complete report; anything else is a crash.
        if (typeof code === 'number' && code <= 1) resolve({ code, stdout });
        else reject(error);
      },
    );
  });
}

describe('npm run simulate in separate processes', () => {
  // Two processes at once, so each runs while the other keeps the cores busy. No real-time budget:
  // the limit only stops a hung run.
  it('prints byte-identical stdout for the same seed', { timeout: 15 * 60_000 }, async () => {
    const [first, second] = await Promise.all([simulate(), simulate()]);

    const report = first.stdout.toString('utf8');
    for (const scenario of ['outage-45m', 'access-denied', 'forced-refresh-burst']) {
      expect(report).toContain(`| ${scenario} |`);
    }
    expect(report).toContain('## Bursts of forced refreshes');
    expect(second.stdout.toString('utf8')).toBe(report);
    expect(second.stdout.equals(first.stdout)).toBe(true);
    expect(second.code).toBe(first.code);
  });
});
