import { queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type Schemas } from '../../api/client';
import { pagesBefore } from '../../api/pages';
import { isEventStream, openEventStream, parseJson } from '../../api/eventStream';
import { ApiError, parseProblem } from '../../api/problem';
import { readEventStream } from '../../api/sse';

/**
 * Running agents: streamed answers (the reader every streamed answer goes through, and
 * one-off runs), stopping a run, and the caller's runs. JSON calls go through the typed
 * `api` client; a streamed answer is read from `fetch`'s body (EventSource cannot POST)
 * with the session's token (session.ts).
 */

export type RunInfo = Schemas['RunInfo'];
export type RunOutcome = Schemas['RunOutcome'];
export type RunRecord = Schemas['RunRecord'];
export type RunList = Schemas['RunList'];
export type RunStatus = Schemas['RunStatus'];
export type CreateRunRequest = Schemas['CreateRunRequest'];
export type VersionParam = Schemas['VersionParam'];
/** A call the model made to a tool (its arguments are JSON text, as the model wrote them). */
export type ToolCall = Schemas['ToolCall'];
/** One call to the agent's own tools: the call, how it went, and the start of its result. */
export type ToolUse = Schemas['ToolUse'];
export type ToolOutcome = Schemas['ToolOutcome'];

/** Values of an agent's input fields, as a form holds them. */
export type InputValues = Record<string, string | number | boolean>;

/** The `inputs` member of a request (the values are checked by the server). */
export function inputsBody(values: InputValues): CreateRunRequest['inputs'] {
  return values;
}

export const runKeys = {
  /** Everything that changes when a run finishes: balance, ledger, runs. */
  credits: (userId: string) => ['account', userId, 'credits'] as const,
  ledger: (userId: string) => ['account', userId, 'ledger'] as const,
  runs: (userId: string) => ['account', userId, 'runs'] as const,
  agentRuns: (userId: string, agent: string) => ['account', userId, 'runs', 'agent', agent] as const,
};

// ---- streamed answers ---------------------------------------------------------------------

export interface StreamHandlers {
  /** The run started: its id (to stop it), the model and the version. */
  onRun?: (info: RunInfo) => void;
  /** The next piece of the answer. */
  onDelta?: (text: string) => void;
  /** Agora started a call to one of the agent's tools (`tool_started`). */
  onToolStarted?: (call: ToolCall) => void;
  /** A call to one of the agent's tools ended, or was refused (`tool_used`). */
  onToolUsed?: (use: ToolUse) => void;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isRunInfo(value: unknown): value is RunInfo {
  return (
    isRecord(value) &&
    typeof value.run_id === 'string' &&
    typeof value.agent === 'string' &&
    typeof value.provider === 'string' &&
    typeof value.model === 'string'
  );
}

export function isRunOutcome(value: unknown): value is RunOutcome {
  return (
    isRecord(value) &&
    typeof value.run_id === 'string' &&
    typeof value.status === 'string' &&
    typeof value.output === 'string' &&
    typeof value.charged === 'string' &&
    typeof value.model === 'string' &&
    typeof value.provider === 'string'
  );
}

export function isToolCall(value: unknown): value is ToolCall {
  return (
    isRecord(value) && typeof value.id === 'string' && typeof value.name === 'string' && typeof value.arguments === 'string'
  );
}

export function isToolUse(value: unknown): value is ToolUse {
  return (
    isRecord(value) &&
    isToolCall(value.call) &&
    typeof value.outcome === 'string' &&
    typeof value.result_preview === 'string' &&
    typeof value.result_chars === 'number' &&
    typeof value.latency_ms === 'number'
  );
}

/**
 * The tool uses of an outcome or a stored message, those that are well formed; null when
 * the answer says nothing about tools (a server from before tools).
 */
export function toolUsesOf(value: unknown): ToolUse[] | null {
  return Array.isArray(value) ? value.filter(isToolUse) : null;
}

/** The text of a `delta` event (`{"text": "..."}`), or null. */
export function deltaText(value: unknown): string | null {
  return isRecord(value) && typeof value.text === 'string' ? value.text : null;
}

const CUT_SHORT = 'The answer was cut off before it finished: the connection to the server was lost.';

/**
 * POSTs `body` to `path` asking for an event stream, calls the handlers as `run`, `delta`,
 * `tool_started` and `tool_used` events arrive, and resolves with the `done` event's outcome
 * (`tool_call`, a call to a tool the caller offered, never comes: this UI offers none). Rejects with an ApiError for
 * an error answer (the problem, with its field errors and Retry-After) or a broken stream;
 * an abort through `signal` rejects with the abort as is.
 */
export async function streamAnswer(
  path: string,
  body: unknown,
  handlers: StreamHandlers = {},
  signal?: AbortSignal,
): Promise<RunOutcome> {
  const build = () =>
    new Request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  const response = await openEventStream(build, signal);
  if (!isEventStream(response)) {
    // A 200 with a problem body should not happen, but say what it was if it does.
    const text = await response.text().catch(() => '');
    const problem = parseProblem(parseJson(text));
    throw new ApiError(problem?.title ?? 'The server did not answer with an event stream.', {
      status: response.status,
      problem,
    });
  }
  try {
    for await (const event of readEventStream(response.body)) {
      const data = parseJson(event.data);
      if (event.event === 'run' && isRunInfo(data)) handlers.onRun?.(data);
      else if (event.event === 'delta') {
        const text = deltaText(data);
        if (text) handlers.onDelta?.(text);
      } else if (event.event === 'tool_started' && isToolCall(data)) handlers.onToolStarted?.(data);
      else if (event.event === 'tool_used' && isToolUse(data)) handlers.onToolUsed?.(data);
      else if (event.event === 'done' && isRunOutcome(data)) return data;
    }
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new ApiError(CUT_SHORT, { status: 0, cause });
  }
  throw new ApiError(CUT_SHORT, { status: 0 });
}

/** POST /v1/runs with `stream: true`: a one-off run (the try-it panel). */
export function streamRun(request: Omit<CreateRunRequest, 'stream'>, handlers?: StreamHandlers, signal?: AbortSignal) {
  const body: CreateRunRequest = { ...request, stream: true };
  return streamAnswer('/v1/runs', body, handlers, signal);
}

/** POST /v1/runs/{id}/stop: the stream then ends with a `done` whose status is `stopped`. */
export async function stopRun(runId: string): Promise<void> {
  await send(api.POST('/v1/runs/{id}/stop', { params: { path: { id: runId } } }));
}

// ---- runs -----------------------------------------------------------------------------------

export function listMyRuns(
  query: { agent?: string; before?: string; limit?: number },
  signal?: AbortSignal,
): Promise<RunList> {
  return send(api.GET('/v1/me/runs', { params: { query }, signal }), signal);
}

/** The caller's runs, newest first, page after page. */
export const myRunsQuery = (userId: string, pageSize = 20) =>
  pagesBefore([...runKeys.runs(userId), 'pages', pageSize] as const, listMyRuns, pageSize);

/** The caller's latest runs of one agent (at most 100): the cost of each answer, and whether they may review it. */
export const agentRunsQuery = (userId: string, agent: string) =>
  queryOptions({
    queryKey: runKeys.agentRuns(userId, agent),
    queryFn: ({ signal }) => listMyRuns({ agent, limit: 100 }, signal),
  });
