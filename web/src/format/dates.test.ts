import { describe, expect, it } from 'vitest';
import {
  dailySeries,
  endOfDayIso,
  formatClockTime,
  formatDate,
  formatDateTime,
  formatDay,
  formatLongDate,
  isoDay,
  lastDays,
  todayIsoDate,
} from './dates';

describe('dates in the reader’s locale', () => {
  const iso = '2026-03-12T10:05:00Z';
  const local = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(undefined, options).format(new Date(iso));

  it('writes a date, a long date and a date with its time', () => {
    expect(formatDate(iso)).toBe(local({ dateStyle: 'medium' }));
    expect(formatLongDate(iso)).toBe(local({ dateStyle: 'long' }));
    expect(formatDateTime(iso)).toBe(local({ dateStyle: 'medium', timeStyle: 'short' }));
    expect(formatDate(iso)).toContain('2026');
    expect(formatDateTime(iso)).not.toBe(formatDate(iso));
  });

  it('writes the time of day of a moment', () => {
    const time = Date.parse(iso);
    expect(formatClockTime(time)).toBe(
      new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(time),
    );
  });

  it('shows what is not a date as given', () => {
    expect(formatDate('not a date')).toBe('not a date');
    expect(formatLongDate('')).toBe('');
    expect(formatDateTime('2026-13-45')).toBe('2026-13-45');
  });
});

describe('daily series', () => {
  it('lists the days of a window, oldest first, across a month end', () => {
    expect(lastDays(4, '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(lastDays(3, 'not a day')).toEqual([]);
  });

  it('fills the days the API leaves out with 0, ending today', () => {
    const series = dailySeries(
      [
        { day: '2026-03-01', spent: 7 },
        { day: '2026-03-03', spent: 2 },
      ],
      (entry) => entry.spent,
      4,
      '2026-03-03',
    );
    expect(series).toEqual([
      { day: '2026-02-28', value: 0 },
      { day: '2026-03-01', value: 7 },
      { day: '2026-03-02', value: 0 },
      { day: '2026-03-03', value: 2 },
    ]);
  });

  it('ends on the series’ last day when the server is a day ahead of this clock', () => {
    const series = dailySeries([{ day: '2026-03-04', spent: 1 }], (entry) => entry.spent, 2, '2026-03-03');
    expect(series.map((entry) => entry.day)).toEqual(['2026-03-03', '2026-03-04']);
  });

  it('labels a day in UTC', () => {
    expect(formatDay('2026-11-29')).toBe('Nov 29');
    expect(formatDay('not a day')).toBe('not a day');
  });

  it('names the UTC day of a moment', () => {
    expect(isoDay(new Date('2026-03-01T23:30:00-05:00'))).toBe('2026-03-02');
  });
});

describe('endOfDayIso', () => {
  it('is the last millisecond of the picked day in local time, as RFC 3339', () => {
    const iso = endOfDayIso('2030-12-31');
    expect(iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const local = new Date(iso!);
    expect([local.getFullYear(), local.getMonth(), local.getDate()]).toEqual([2030, 11, 31]);
    expect([local.getHours(), local.getMinutes(), local.getSeconds()]).toEqual([23, 59, 59]);
  });

  it('rejects what is not a real date', () => {
    expect(endOfDayIso('')).toBeNull();
    expect(endOfDayIso('2030-02-31')).toBeNull();
    expect(endOfDayIso('31/12/2030')).toBeNull();
  });
});

describe('todayIsoDate', () => {
  it('formats the local date', () => {
    expect(todayIsoDate(new Date(2026, 0, 5, 23, 30))).toBe('2026-01-05');
  });
});
