import { describe, expect, it } from 'vitest';
import { dailySeries, formatDay, formatLatency, formatMicros, formatSignedMicros, lastDays } from './format';

describe('credit amounts', () => {
  it('writes micro-credits as exact decimal credits', () => {
    expect(formatMicros(50_010)).toBe('0.05001');
    expect(formatMicros(5_000_000)).toBe('5');
    expect(formatMicros(4_949_990)).toBe('4.94999');
    expect(formatMicros(1)).toBe('0.000001');
    expect(formatMicros(0)).toBe('0');
    expect(formatMicros(-50_010)).toBe('-0.05001');
    expect(formatMicros(123_456_789_012)).toBe('123456.789012');
  });

  it('signs ledger amounts', () => {
    expect(formatSignedMicros(5_000_000)).toBe('+5');
    expect(formatSignedMicros(-37)).toBe('-0.000037');
    expect(formatSignedMicros(0)).toBe('0');
  });

  it('writes latencies in ms, then seconds', () => {
    expect(formatLatency(353)).toBe('353 ms');
    expect(formatLatency(1_250)).toBe('1.3 s');
    expect(formatLatency(12_400)).toBe('12 s');
    expect(formatLatency(null)).toBe('—');
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
  });
});
