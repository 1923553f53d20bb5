import { toolUsesOf, type ToolCall, type ToolUse } from './api';

/**
 * An answer as it is shown: pieces of text and the calls to the agent's tools, in the order
 * they came. A streamed answer keeps where each call was made (above the text it preceded);
 * a stored one only knows its text and its calls, so its calls come first.
 */
export type AnswerSegment =
  | { kind: 'text'; text: string }
  /** `use` is null while the call runs (after `tool_started`, before `tool_used`). */
  | { kind: 'tool'; call: ToolCall; use: ToolUse | null };

/** The whole text of an answer. */
export function segmentsText(segments: readonly AnswerSegment[]): string {
  return segments.map((segment) => (segment.kind === 'text' ? segment.text : '')).join('');
}

export function toolSegments(segments: readonly AnswerSegment[]) {
  return segments.filter((segment) => segment.kind === 'tool');
}

/** `text` added to the answer: to the last piece of text, or after the last call. */
export function addText(segments: readonly AnswerSegment[], text: string): AnswerSegment[] {
  const last = segments.at(-1);
  if (last?.kind === 'text') return [...segments.slice(0, -1), { kind: 'text', text: last.text + text }];
  return [...segments, { kind: 'text', text }];
}

/** A call started (`tool_started`): a card that waits for its outcome. */
export function startTool(segments: readonly AnswerSegment[], call: ToolCall): AnswerSegment[] {
  return [...segments, { kind: 'tool', call, use: null }];
}

/**
 * A call ended (`tool_used`): the card of the running call with its id gets the outcome. A
 * refused call was never started, so it gets a card of its own.
 */
export function finishTool(segments: readonly AnswerSegment[], use: ToolUse): AnswerSegment[] {
  const at = segments.findIndex((segment) => segment.kind === 'tool' && segment.use === null && segment.call.id === use.call.id);
  if (at < 0) return [...segments, { kind: 'tool', call: use.call, use }];
  return segments.map((segment, index) => (index === at ? { kind: 'tool', call: use.call, use } : segment));
}

/** A stored answer: its calls, then its text. */
export function storedSegments(text: string, uses: readonly ToolUse[]): AnswerSegment[] {
  return [
    ...uses.map((use): AnswerSegment => ({ kind: 'tool', call: use.call, use })),
    ...(text ? [{ kind: 'text' as const, text }] : []),
  ];
}

/**
 * The streamed answer once the outcome came: the outcome's text and calls are what the run
 * recorded. Where the stream saw the same text and the same calls end, the calls stay where
 * they were made (with the recorded outcomes; a call the answer ended during stays, unfinished);
 * otherwise the answer is rebuilt from the outcome. An outcome that says nothing about tools
 * leaves the calls as they streamed.
 */
export function settleSegments(segments: readonly AnswerSegment[], output: string, toolUses: unknown): AnswerSegment[] {
  const uses = toolUsesOf(toolUses);
  const streamedText = segmentsText(segments);
  if (uses === null) {
    return streamedText === output ? [...segments] : [...toolSegments(segments), ...storedSegments(output, [])];
  }
  const ended = toolSegments(segments).filter((segment) => segment.use !== null);
  if (streamedText !== output || ended.length !== uses.length) return storedSegments(output, uses);
  let next = 0;
  return segments.map((segment) => {
    if (segment.kind === 'text' || segment.use === null) return segment;
    const use = uses[next++];
    return use ? { kind: 'tool', call: use.call, use } : segment;
  });
}
