/**
 * Frequent items by Misra–Gries, mergeable (Agarwal et al. 2012): at most `capacity` counters; when full, every
 * counter drops by the smallest and zeros leave. Each count undercounts by at most `decremented` ≤ n/(capacity+1).
 * While nothing was ever decremented the counts are exact and complete (distinct values ≤ capacity).
 */
import { z } from 'zod';

export const DEFAULT_FREQUENT_CAPACITY = 1024;

export const FrequentState = z.object({
  capacity: z.number().int().min(1),
  total: z.number().int().nonnegative(),
  decremented: z.number().nonnegative(),
  counts: z.array(z.tuple([z.string(), z.number().nonnegative()])),
});
export type FrequentState = z.infer<typeof FrequentState>;

export class FrequentItems {
  counts = new Map<string, number>();
  total = 0;
  /** Total amount subtracted from each surviving counter: the undercount bound. */
  decremented = 0;

  constructor(readonly capacity = DEFAULT_FREQUENT_CAPACITY) {}

  get exact(): boolean {
    return this.decremented === 0;
  }

  add(key: string, count = 1): void {
    this.total += count;
    const current = this.counts.get(key);
    if (current !== undefined) {
      this.counts.set(key, current + count);
      return;
    }
    this.counts.set(key, count);
    if (this.counts.size > this.capacity) this.shrink();
  }

  /** Drops every counter by the (capacity+1)-th largest count, so at most `capacity` remain. */
  private shrink(): void {
    const sorted = [...this.counts.values()].sort((a, b) => b - a);
    const cut = sorted[this.capacity];
    this.decremented += cut;
    for (const [key, count] of this.counts) {
      if (count <= cut) this.counts.delete(key);
      else this.counts.set(key, count - cut);
    }
  }

  merge(other: FrequentItems): void {
    for (const [key, count] of other.counts) this.counts.set(key, (this.counts.get(key) ?? 0) + count);
    this.total += other.total;
    this.decremented += other.decremented;
    if (this.counts.size > this.capacity) this.shrink();
  }

  toJSON(): FrequentState {
    return {
      capacity: this.capacity,
      total: this.total,
      decremented: this.decremented,
      counts: [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
    };
  }

  static fromJSON(state: FrequentState): FrequentItems {
    const sketch = new FrequentItems(state.capacity);
    sketch.counts = new Map(state.counts);
    sketch.total = state.total;
    sketch.decremented = state.decremented;
    return sketch;
  }
}
