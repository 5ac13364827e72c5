import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RealAsyncWatch, RealAsyncWorkError } from '../../scripts/simulation/real-async-watch.js';

async function watched(work: () => Promise<unknown>): Promise<RealAsyncWatch> {
  const watch = new RealAsyncWatch();
  watch.start();
  try {
    await work();
  } finally {
    watch.stop();
  }
  return watch;
}

describe('a simulation fails when an event starts async work that real time orders', () => {
  it('passes work that awaits only promises and microtasks', async () => {
    const watch = await watched(async () => {
      await Promise.all([Promise.resolve(1), new Promise((resolve) => queueMicrotask(() => resolve(2)))]);
      await new Promise((resolve) => process.nextTick(resolve));
    });

    expect(() => watch.check('The event')).not.toThrow();
  });

  it('names an immediate and where it started', async () => {
    const watch = await watched(() => new Promise((resolve) => setImmediate(resolve)));

    expect(() => watch.check('The event "consumers call Zoho"')).toThrow(RealAsyncWorkError);
    expect(() => watch.check('The event "consumers call Zoho"')).toThrow(
      /The event "consumers call Zoho" started a Immediate[\s\S]*at setImmediate/,
    );
  });

  it('names real I/O: a file read', async () => {
    const watch = await watched(() => readFile('package.json'));

    expect(() => watch.check('The event')).toThrow(/started a FSREQ[\s\S]*at readFile/);
  });
});
