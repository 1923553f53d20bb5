/**
 * Dates and days, as the UI shows them and as the API and the date inputs write them. The
 * one place that formats a date: in the reader's locale and time zone, except the UTC days
 * of the daily series (the API counts days in UTC). A value that is not a date is shown as
 * given rather than as "Invalid Date".
 */

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const longDateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayFormat = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });

function formatWith(format: Intl.DateTimeFormat, iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : format.format(date);
}

/** "12 Mar 2026" (in the reader's locale). */
export function formatDate(iso: string): string {
  return formatWith(dateFormat, iso);
}

/** "12 March 2026". */
export function formatLongDate(iso: string): string {
  return formatWith(longDateFormat, iso);
}

/** "12 Mar 2026, 14:05". */
export function formatDateTime(iso: string): string {
  return formatWith(dateTimeFormat, iso);
}

/** "14:05:09": the time of day of a moment (milliseconds since the epoch). */
export function formatClockTime(time: number): string {
  return clockFormat.format(time);
}

/** "Nov 29" for the UTC day `2026-11-29`. */
export function formatDay(day: string): string {
  const time = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(time) ? day : dayFormat.format(time);
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

/** Today's date as `YYYY-MM-DD` in local time: what a date input holds, such as the earliest expiry it offers. */
export function todayIsoDate(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * The RFC 3339 instant for a date picked as `YYYY-MM-DD`: the end of that day in the
 * user's time zone, so a key "expiring on the 31st" works all through the 31st. Null for
 * an empty or malformed value.
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
