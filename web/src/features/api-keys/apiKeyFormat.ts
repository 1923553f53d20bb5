import type { ApiKeyStatus } from '../../api/client';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A date for the key table ("12 Mar 2026"), or `fallback` when there is none. */
export function formatDate(value: string | null | undefined, fallback = '—'): string {
  return value ? dateFormat.format(new Date(value)) : fallback;
}

/** A date and time, for tooltips. */
export function formatDateTime(value: string): string {
  return dateTimeFormat.format(new Date(value));
}

export const STATUS_LABELS: Record<ApiKeyStatus, string> = {
  active: 'Active',
  expired: 'Expired',
  revoked: 'Revoked',
};

/** Today's date as `YYYY-MM-DD` in local time: the earliest expiry the date input offers. */
export function todayIsoDate(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * The RFC 3339 instant for an expiry date picked as `YYYY-MM-DD`: the end of that day in
 * the user's time zone, so a key "expiring on the 31st" works all through the 31st.
 * Null for an empty or malformed value.
 */
export function endOfDayIso(date: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const end = new Date(year, month - 1, day, 23, 59, 59, 999);
  // Reject dates such as 2026-02-31, which Date would roll over into March.
  if (end.getFullYear() !== year || end.getMonth() !== month - 1 || end.getDate() !== day) return null;
  return end.toISOString();
}
