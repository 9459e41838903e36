/** Deterministic pseudo-random numbers (mulberry32): the same seed gives the same dataset everywhere. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** Index in 0..n-1 with a Zipf-like skew: a few large brands, a long tail of small ones. */
  skewed(n: number, exponent = 1.1): number {
    return Math.min(n - 1, Math.floor(n * Math.pow(this.next(), exponent * 2.5)));
  }
}
