import { describe, expect, it } from 'vitest';
import { formatLatency } from './format';

describe('run latency', () => {
  it('writes latencies in ms, then seconds', () => {
    expect(formatLatency(353)).toBe('353 ms');
    expect(formatLatency(1_250)).toBe('1.3 s');
    expect(formatLatency(12_400)).toBe('12 s');
    expect(formatLatency(null)).toBe('—');
  });
});
