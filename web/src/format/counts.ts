/** Counts as the UI shows them: whole up to 9,999, then compact. */

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en');

/** 999, 1.2K, 3.4M. */
export function formatCount(count: number): string {
  return count < 10_000 ? whole.format(count) : compact.format(count);
}
