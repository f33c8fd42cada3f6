/**
 * Log-scale time histogram for handler durations: a fixed array of bucket counts, so recording a
 * duration on the message path is one `Math.log2` and one increment (no allocation), and the
 * host turns the difference of two snapshots into p50/p99 of that interval.
 *
 * Bucket 0 holds durations up to 1 µs; bucket i ≥ 1 holds [2^((i-1)/4), 2^(i/4)) µs, i.e. four
 * buckets per doubling (≈19% wide), up to about 14 s in the last bucket.
 */

/** Number of buckets in a handler-time histogram. */
export const HIST_BUCKETS = 96;

/** Bucket index of a duration in milliseconds. */
export function histBucket(ms: number): number {
  const us = ms * 1000;
  if (!(us > 1)) return 0;
  const i = 1 + Math.floor(4 * Math.log2(us));
  return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

/** Representative duration (ms) of a bucket: the geometric middle of its range. */
export function histBucketMs(i: number): number {
  if (i <= 0) return 0.0005;
  return 2 ** ((i - 0.5) / 4) / 1000;
}

/**
 * The `q` quantile (0..1) in milliseconds of a histogram's counts, or null when it is empty.
 * Accurate to the bucket width (±10%).
 */
export function histQuantile(counts: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return histBucketMs(i);
  }
  return histBucketMs(counts.length - 1);
}
