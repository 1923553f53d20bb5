import { describe, expect, it } from 'vitest';
import type { ToolCall, ToolUse } from './api';
import { addText, finishTool, segmentsText, settleSegments, startTool, storedSegments, type AnswerSegment } from './segments';
import { toolCallBody, toolUseBody } from '../../test/streamFixtures';

const call = (overrides: Record<string, unknown> = {}): ToolCall => toolCallBody(overrides);
const use = (overrides: Record<string, unknown> = {}) => toolUseBody(overrides) as ToolUse;
/** A compact picture of the segments: text as is, calls as `[name:status]`. */
const shape = (segments: readonly AnswerSegment[]) =>
  segments.map((segment) =>
    segment.kind === 'text' ? segment.text : `[${segment.call.name}:${segment.use?.outcome ?? 'running'}]`,
  );

describe('answer segments', () => {
  it('joins text pieces, and puts each call where it was made', () => {
    let segments: AnswerSegment[] = [];
    segments = addText(segments, 'Let me ');
    segments = addText(segments, 'look. ');
    segments = startTool(segments, call());
    expect(shape(segments)).toEqual(['Let me look. ', '[fetch_page:running]']);
    segments = finishTool(segments, use());
    segments = addText(segments, 'It says ');
    segments = addText(segments, 'hello.');
    expect(shape(segments)).toEqual(['Let me look. ', '[fetch_page:ok]', 'It says hello.']);
    expect(segmentsText(segments)).toBe('Let me look. It says hello.');
  });

  it('gives each outcome to its running call, and a refused call (never started) a card of its own', () => {
    let segments: AnswerSegment[] = [];
    segments = startTool(segments, call({ id: 'a' }));
    segments = finishTool(segments, use({ call: call({ id: 'a' }), outcome: 'error' }));
    segments = startTool(segments, call({ id: 'b', name: 'current_time', arguments: '{}' }));
    segments = finishTool(segments, use({ call: call({ id: 'b', name: 'current_time', arguments: '{}' }) }));
    segments = finishTool(segments, use({ call: call({ id: 'c' }), outcome: 'refused' }));
    expect(shape(segments)).toEqual(['[fetch_page:error]', '[current_time:ok]', '[fetch_page:refused]']);
  });

  it('keeps where the calls were made when the outcome agrees, with the recorded outcomes', () => {
    const streamed = finishTool(startTool(addText([], 'Looking. '), call()), use({ latency_ms: 80 }));
    const done = addText(streamed, 'Done.');
    const settled = settleSegments(done, 'Looking. Done.', [use({ latency_ms: 87 })]);
    expect(shape(settled)).toEqual(['Looking. ', '[fetch_page:ok]', 'Done.']);
    expect(settled[1]).toMatchObject({ kind: 'tool', use: { latency_ms: 87 } });
    // Stopped during a call: the run recorded none, and the card stays, unfinished.
    const stopped = startTool(addText([], 'Looking. '), call());
    expect(shape(settleSegments(stopped, 'Looking. ', []))).toEqual(['Looking. ', '[fetch_page:running]']);
  });

  it('rebuilds the answer from the outcome when the stream missed something', () => {
    const streamed = addText(startTool([], call()), 'Half');
    expect(shape(settleSegments(streamed, 'Half and the rest.', [use()]))).toEqual(['[fetch_page:ok]', 'Half and the rest.']);
    expect(shape(settleSegments([], 'Cached answer.', [use(), use({ outcome: 'refused' })]))).toEqual([
      '[fetch_page:ok]',
      '[fetch_page:refused]',
      'Cached answer.',
    ]);
    // An outcome that says nothing about tools (an older server) leaves the calls as they came.
    expect(shape(settleSegments(streamed, 'Half', undefined))).toEqual(['[fetch_page:running]', 'Half']);
    expect(shape(settleSegments(addText([], 'Hello'), 'Hello', []))).toEqual(['Hello']);
  });

  it('shows a stored answer’s calls above its text', () => {
    expect(shape(storedSegments('The page says hello.', [use(), use({ outcome: 'error' })]))).toEqual([
      '[fetch_page:ok]',
      '[fetch_page:error]',
      'The page says hello.',
    ]);
    expect(storedSegments('', [])).toEqual([]);
  });
});
