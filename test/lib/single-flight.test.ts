import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../functions/lib/single-flight.js';

describe('SingleFlight', () => {
  it('shares one in-flight operation between concurrent callers of the same key', async () => {
    const flight = new SingleFlight<number>();
    let started = 0;
    let finish = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const operation = async () => {
      started += 1;
      await finished;
      return started;
    };
    const runs = [flight.run('a', operation), flight.run('a', operation), flight.run('a', operation)];
    finish();
    expect(await Promise.all(runs)).toEqual([1, 1, 1]);
    expect(started).toBe(1);
  });

  it('starts again once the previous operation settled, even after a failure', async () => {
    const flight = new SingleFlight<string>();
    await expect(flight.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(flight.run('a', () => Promise.resolve('second'))).resolves.toBe('second');
  });

  it('keeps different keys apart', async () => {
    const flight = new SingleFlight<string>();
    const [a, b] = await Promise.all([
      flight.run('a', () => Promise.resolve('a')),
      flight.run('b', () => Promise.resolve('b')),
    ]);
    expect([a, b]).toEqual(['a', 'b']);
  });
});
