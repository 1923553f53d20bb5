import { useCallback, useEffect, useRef, useState } from 'react';
import { stopRun, type RunInfo, type RunOutcome, type StreamHandlers } from './api';
import { addText, finishTool, settleSegments, startTool, type AnswerSegment } from './segments';

/**
 * The state of one streamed answer, from the request to the `done` event:
 *
 * - `waiting`: the request is sent, nothing has come back yet;
 * - `streaming`: the run started (`run`), pieces of text arrive (`delta`), and the agent's
 *   tools are called (`tool_started`, then `tool_used`);
 * - `done`: the `done` event came (`outcome` says whether it succeeded, was stopped or failed);
 * - `error`: the request was refused (402, 422, 429...) or the stream broke (`error`);
 * - `cancelled`: this page gave up on it (left the page, or Stop before the run had an id).
 */
export type AnswerPhase = 'idle' | 'waiting' | 'streaming' | 'done' | 'error' | 'cancelled';

export interface AnswerState {
  phase: AnswerPhase;
  run: RunInfo | null;
  text: string;
  /** The text and the calls to the agent's tools, in the order they came. */
  segments: AnswerSegment[];
  outcome: RunOutcome | null;
  error: unknown;
  /** Stop was asked for and the answer has not ended yet. */
  stopping: boolean;
}

export const IDLE_ANSWER: AnswerState = {
  phase: 'idle',
  run: null,
  text: '',
  segments: [],
  outcome: null,
  error: null,
  stopping: false,
};

/** Opens the stream: one of streamRun, streamReply or streamRegenerate, bound to its arguments. */
export type OpenStream = (handlers: StreamHandlers, signal: AbortSignal) => Promise<RunOutcome>;

export function isActive(state: AnswerState): boolean {
  return state.phase === 'waiting' || state.phase === 'streaming';
}

/**
 * Runs one streamed answer at a time: `start` opens it, text is appended as it arrives, and
 * `stop` asks the server to stop the run (POST /v1/runs/{id}/stop; the stream then ends
 * with a `stopped` outcome and what was said so far), or, before the run has an id, aborts
 * the request. Leaving the page aborts the request too.
 */
export function useAnswerStream() {
  const [state, setState] = useState<AnswerState>(IDLE_ANSWER);
  const controller = useRef<AbortController | null>(null);
  const runId = useRef<string | null>(null);

  useEffect(() => () => controller.current?.abort(), []);

  const start = useCallback(async (open: OpenStream): Promise<AnswerState> => {
    controller.current?.abort();
    const mine = new AbortController();
    controller.current = mine;
    runId.current = null;
    setState({ ...IDLE_ANSWER, phase: 'waiting' });
    let text = '';
    let segments: AnswerSegment[] = [];
    let run: RunInfo | null = null;
    let final: AnswerState;
    /** Shows what has come so far (text, segments), if this is still the answer on show. */
    const show = () => {
      if (controller.current === mine) setState((now) => ({ ...now, phase: 'streaming', text, segments }));
    };
    try {
      const outcome = await open(
        {
          onRun: (info) => {
            run = info;
            runId.current = info.run_id;
            if (controller.current === mine) setState((now) => ({ ...now, phase: 'streaming', run: info }));
          },
          onDelta: (piece) => {
            text += piece;
            segments = addText(segments, piece);
            show();
          },
          onToolStarted: (call) => {
            segments = startTool(segments, call);
            show();
          },
          onToolUsed: (use) => {
            segments = finishTool(segments, use);
            show();
          },
        },
        mine.signal,
      );
      // The outcome holds the whole answer as the server recorded it.
      const output = outcome.output || text;
      final = {
        phase: 'done',
        run,
        text: output,
        segments: settleSegments(segments, output, outcome.tool_uses),
        outcome,
        error: null,
        stopping: false,
      };
    } catch (error) {
      final = mine.signal.aborted
        ? { phase: 'cancelled', run, text, segments, outcome: null, error: null, stopping: false }
        : { phase: 'error', run, text, segments, outcome: null, error, stopping: false };
    }
    if (controller.current === mine) {
      controller.current = null;
      setState(final);
    }
    return final;
  }, []);

  const stop = useCallback(async () => {
    const active = controller.current;
    if (!active) return;
    setState((now) => ({ ...now, stopping: true }));
    const id = runId.current;
    if (!id) {
      active.abort();
      return;
    }
    try {
      await stopRun(id);
    } catch {
      // Could not ask the server: drop the connection instead (the run ends as disconnected).
      active.abort();
    }
  }, []);

  const reset = useCallback(() => {
    controller.current?.abort();
    controller.current = null;
    setState(IDLE_ANSWER);
  }, []);

  return { state, start, stop, reset };
}
