import { describe, expect, it } from 'vitest';
import { dependencyLabel, formatLatency, formatTick, niceCeiling } from './format';

describe('formatLatency', () => {
  it('keeps two significant decimals below 1 ms, one below 10 ms, none above, seconds from 10 s', () => {
    expect(formatLatency(0.123)).toBe('0.12 ms');
    expect(formatLatency(1.74)).toBe('1.7 ms');
    expect(formatLatency(42.4)).toBe('42 ms');
    expect(formatLatency(1234)).toBe('1,234 ms');
    expect(formatLatency(12_345)).toBe('12.3 s');
    expect(formatLatency(Number.NaN)).toBe('—');
  });
});

describe('formatTick', () => {
  it('labels axis ticks briefly', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(0.5)).toBe('0.5 ms');
    expect(formatTick(25)).toBe('25 ms');
    expect(formatTick(1000)).toBe('1 s');
    expect(formatTick(2500)).toBe('2.5 s');
  });
});

describe('niceCeiling', () => {
  it('rounds up to 1, 2 or 5 times a power of ten', () => {
    expect(niceCeiling(1.7)).toBe(2);
    expect(niceCeiling(2)).toBe(2);
    expect(niceCeiling(3.1)).toBe(5);
    expect(niceCeiling(7)).toBe(10);
    expect(niceCeiling(0.13)).toBeCloseTo(0.2);
    expect(niceCeiling(250)).toBe(500);
    expect(niceCeiling(0)).toBe(1);
  });
});

describe('dependencyLabel', () => {
  it('names known dependencies and tidies unknown ones', () => {
    expect(dependencyLabel('database')).toBe('Database');
    expect(dependencyLabel('secretsmanager')).toBe('Secrets Manager');
    expect(dependencyLabel('search_index')).toBe('Search index');
  });
});
