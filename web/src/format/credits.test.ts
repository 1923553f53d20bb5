import { describe, expect, it } from 'vitest';
import { creditsLabel, formatMicros, formatSignedMicros } from './credits';

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

  it('says credit or credits', () => {
    expect(creditsLabel('1')).toBe('1 credit');
    expect(creditsLabel('0.05001')).toBe('0.05001 credits');
  });
});
