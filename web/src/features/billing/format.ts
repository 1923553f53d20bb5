import type { LedgerKind } from './api';
import type { RunStatus } from '../run/api';

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

/** "0.05001 credits", "1 credit", "0 credits". */
export function creditsLabel(amount: string): string {
  return `${amount} ${Number(amount) === 1 ? 'credit' : 'credits'}`;
}

/** A signed amount for the ledger: "+5", "-0.05001". */
export function formatSignedMicros(micros: number): string {
  return micros > 0 ? `+${formatMicros(micros)}` : formatMicros(micros);
}

/** "353 ms", "1.2 s", "—" when unknown. */
export function formatLatency(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

export const RUN_STATUS_LABELS: Record<RunStatus, string> = {
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  stopped: 'Stopped',
  disconnected: 'Disconnected',
};

export function runStatusLabel(status: string): string {
  return (RUN_STATUS_LABELS as Record<string, string | undefined>)[status] ?? status;
}

export const LEDGER_KIND_LABELS: Record<LedgerKind, string> = {
  signup_grant: 'Welcome credits',
  admin_grant: 'Credits from Agora',
  run_charge: 'Run',
  creator_earning: 'Earned from your agent',
};

export function ledgerKindLabel(kind: string): string {
  return (LEDGER_KIND_LABELS as Record<string, string | undefined>)[kind] ?? kind;
}

/** `YYYY-MM-DD` of a date, in UTC (the API's days are UTC days). */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The `count` days ending with `lastDay` (`YYYY-MM-DD`), oldest first: the x axis of a
 * "last 30 days" chart, where the API leaves days without activity out.
 */
export function lastDays(count: number, lastDay: string): string[] {
  const end = Date.parse(`${lastDay}T00:00:00Z`);
  if (Number.isNaN(end)) return [];
  return Array.from({ length: count }, (_, index) => isoDay(new Date(end - (count - 1 - index) * 86_400_000)));
}

/**
 * One value per day of the window, 0 for the days the series leaves out. The window ends
 * today, or on the series' last day if that is later (a clock behind the server's).
 */
export function dailySeries<T extends { day: string }>(
  series: T[],
  value: (entry: T) => number,
  count = 30,
  today: string = isoDay(new Date()),
): { day: string; value: number }[] {
  const latest = series.reduce((last, entry) => (entry.day > last ? entry.day : last), today);
  const byDay = new Map(series.map((entry) => [entry.day, value(entry)]));
  return lastDays(count, latest).map((day) => ({ day, value: byDay.get(day) ?? 0 }));
}

const dayLabel = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** "Nov 29" for `2026-11-29`. */
export function formatDay(day: string): string {
  const time = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(time) ? day : dayLabel.format(time);
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTimeFormat.format(date);
}
