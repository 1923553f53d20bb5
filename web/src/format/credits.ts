/**
 * Amounts of credits as the UI shows them. The API sends balances as exact decimal strings
 * and the ledger, costs and daily series as integer micro-credits.
 */

/** Micro-credits in a credit. */
export const MICROS = 1_000_000;

/**
 * Micro-credits as an exact decimal amount of credits: 50010 → "0.05001", -5000000 → "-5",
 * 0 → "0". Integer arithmetic, so nothing is rounded away.
 */
export function formatMicros(micros: number): string {
  if (!Number.isFinite(micros)) return '—';
  const sign = micros < 0 ? '-' : '';
  const magnitude = Math.abs(Math.trunc(micros));
  const whole = Math.floor(magnitude / MICROS);
  const fraction = String(magnitude % MICROS).padStart(6, '0').replace(/0+$/, '');
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A signed amount for the ledger: "+5", "-0.05001". */
export function formatSignedMicros(micros: number): string {
  return micros > 0 ? `+${formatMicros(micros)}` : formatMicros(micros);
}

/** "0.05001 credits", "1 credit", "0 credits". */
export function creditsLabel(amount: string): string {
  return `${amount} ${Number(amount) === 1 ? 'credit' : 'credits'}`;
}
