/**
 * A seedable pseudo-random generator (mulberry32): the same seed replays the same month, so a
 * failing run can be reproduced with `--seed`.
 */
export class SeededRandom {
  #state: number;

  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly [T, ...T[]]): T {
    return items[Math.floor(this.next() * items.length)] ?? items[0];
  }

  /** `length` lower-case hexadecimal digits. */
  hex(length: number): string {
    let digits = '';
    while (digits.length < length) {
      const word = Math.floor(this.next() * 2 ** 32);
      digits += word.toString(16).padStart(8, '0');
    }
    return digits.slice(0, length);
  }

  /** An independent stream, so adding draws to one part of a scenario does not reshuffle the others. */
  fork(label: string): SeededRandom {
    let hash = this.seed ^ 0x9e3779b9;
    for (const char of label) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
    return new SeededRandom(hash >>> 0);
  }
}
