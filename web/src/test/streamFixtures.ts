/** Streamed answers as the API sends them (text/event-stream), for the run and chat tests. */

export const RUN_ID = '01a229a8-900f-74e9-ab54-108f4c7a4f09';

export function runInfoBody(overrides: Record<string, unknown> = {}) {
  return {
    run_id: RUN_ID,
    agent: 'agora-demo/contract-reviewer',
    agent_version: 2,
    provider: 'agora',
    model: 'echo',
    created_at: '2026-03-01T10:00:00Z',
    ...overrides,
  };
}

export function outcomeBody(overrides: Record<string, unknown> = {}) {
  return {
    run_id: RUN_ID,
    status: 'succeeded',
    output: 'Hello there',
    finish_reason: 'stop',
    provider: 'agora',
    model: 'echo',
    input_tokens: 20,
    output_tokens: 2,
    usage_estimated: false,
    charged: '0.05001',
    cached: false,
    error: null,
    ttft_ms: 30,
    latency_ms: 350,
    tool_calls: [],
    tool_uses: [],
    ...overrides,
  };
}

/** A call the agent's model made to one of its tools (`tool_started`). */
export function toolCallBody(overrides: Record<string, unknown> = {}) {
  return {
    id: 'call_1',
    name: 'fetch_page',
    arguments: '{"url":"https://example.com"}',
    ...overrides,
  };
}

/** How that call went (`tool_used`, and in `tool_uses` of outcomes and messages). */
export function toolUseBody(overrides: Record<string, unknown> = {}) {
  return {
    call: toolCallBody(),
    outcome: 'ok',
    result_preview: 'Example Domain. This domain is for use in illustrative examples.',
    result_chars: 1234,
    latency_ms: 87,
    ...overrides,
  };
}

export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** A whole answer in one response: run, one delta per piece, done. */
export function sseResponse(pieces: string[], outcome: Record<string, unknown> = {}): Response {
  const text =
    sseFrame('run', runInfoBody()) +
    pieces.map((piece) => sseFrame('delta', { text: piece })).join('') +
    sseFrame('done', outcomeBody({ output: pieces.join(''), ...outcome }));
  return new Response(text, { status: 200, headers: SSE_HEADERS });
}

/** An answer the test writes event by event: `send`, then `close`. */
export function controlledSse() {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const encoder = new TextEncoder();
  return {
    response: () => new Response(body, { status: 200, headers: SSE_HEADERS }),
    send(event: string, data: unknown) {
      controller?.enqueue(encoder.encode(sseFrame(event, data)));
    },
    /** Raw text, to split a frame anywhere. */
    write(text: string) {
      controller?.enqueue(encoder.encode(text));
    },
    close() {
      controller?.close();
    },
  };
}
