/**
 * Virtual time for the HTTP client and the rate limiter: `sleep` moves the clock instead
 * of waiting, and every sleep is recorded, so tests assert exact waits without the wall
 * clock. Concurrent sleepers wake in order of their wake-up time.
 */
export interface VirtualTime {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
  /** Every wait asked for, in order. */
  readonly slept: number[];
  advance(ms: number): void;
}

export function virtualTime(o: { start?: number; random?: () => number } = {}): VirtualTime {
  let t = o.start ?? Date.UTC(2026, 2, 10, 12);
  const slept: number[] = [];
  return {
    now: () => t,
    async sleep(ms) {
      slept.push(ms);
      const wake = t + ms;
      await Promise.resolve();
      t = Math.max(t, wake);
    },
    random: o.random ?? (() => 0.5),
    slept,
    advance(ms) {
      t += ms;
    },
  };
}
