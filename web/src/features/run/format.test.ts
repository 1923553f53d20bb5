import { describe, expect, it } from 'vitest';
import type { ToolUse } from './api';
import { formatArguments, formatLatency, resultMore, toolCardStatus } from './format';
import { toolUseBody } from '../../test/streamFixtures';

describe('run latency', () => {
  it('writes latencies in ms, then seconds', () => {
    expect(formatLatency(353)).toBe('353 ms');
    expect(formatLatency(1_250)).toBe('1.3 s');
    expect(formatLatency(12_400)).toBe('12 s');
    expect(formatLatency(null)).toBe('—');
  });
});

describe('tool calls', () => {
  const use = (overrides: Record<string, unknown> = {}) => toolUseBody(overrides) as ToolUse;

  it('pretty-prints JSON arguments and leaves anything else as written', () => {
    expect(formatArguments('{"url":"https://example.com","depth":2}')).toBe(
      '{\n  "url": "https://example.com",\n  "depth": 2\n}',
    );
    expect(formatArguments('{}')).toBe('{}');
    expect(formatArguments('{"url": "https://exa')).toBe('{"url": "https://exa');
    expect(formatArguments('')).toBe('');
  });

  it('says how long the whole result was when the preview is only its start', () => {
    expect(resultMore(use({ result_preview: 'Example', result_chars: 1234 }))).toBe('… (1,234 characters in all)');
    expect(resultMore(use({ result_preview: 'Example', result_chars: 7 }))).toBeNull();
    // Characters, not UTF-16 units: an emoji is one.
    expect(resultMore(use({ result_preview: 'ok 👍', result_chars: 4 }))).toBeNull();
  });

  it('reads a call’s status from its use, or from whether the answer is still coming', () => {
    expect(toolCardStatus(null, true)).toBe('running');
    expect(toolCardStatus(null, false)).toBe('unfinished');
    expect(toolCardStatus(use({ outcome: 'ok' }), true)).toBe('ok');
    expect(toolCardStatus(use({ outcome: 'error' }), false)).toBe('error');
    expect(toolCardStatus(use({ outcome: 'refused' }), false)).toBe('refused');
    expect(toolCardStatus(use({ outcome: 'exploded' }), false)).toBe('error');
  });
});
