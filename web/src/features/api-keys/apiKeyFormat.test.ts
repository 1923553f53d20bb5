import { describe, expect, it } from 'vitest';
import { endOfDayIso, todayIsoDate } from './apiKeyFormat';

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
