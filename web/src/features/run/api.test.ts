import { describe, expect, it } from 'vitest';
import { bearerOf, jsonResponse, mockRoutes, problemResponse, sessionBody, unauthorized } from '../../test/fixtures';
import {
  controlledSse,
  outcomeBody,
  RUN_ID,
  runInfoBody,
  sseFrame,
  sseResponse,
  toolCallBody,
  toolUseBody,
} from '../../test/streamFixtures';
import { ApiError } from '../../api/problem';
import { streamRun } from './api';
import { streamReply } from '../chat/api';
import { restoreSession } from '../../api/session';

async function signedIn(token = 'access-1') {
  mockRoutes({ 'POST /v1/auth/refresh': () => jsonResponse(sessionBody(token)) });
  await restoreSession();
}

describe('streamAnswer', () => {
  it('POSTs with the bearer token, reports run and deltas, and resolves with the outcome', async () => {
    await signedIn();
    const seen: Request[] = [];
    mockRoutes({
      'POST /v1/runs': (request) => {
        seen.push(request);
        return sseResponse(['Hel', 'lo ', 'there']);
      },
    });
    const deltas: string[] = [];
    let runId = '';
    const outcome = await streamRun(
      { agent: 'agora-demo/contract-reviewer', input: 'hi' },
      { onRun: (info) => (runId = info.run_id), onDelta: (text) => deltas.push(text) },
    );
    expect(runId).toBe(RUN_ID);
    expect(deltas).toEqual(['Hel', 'lo ', 'there']);
    expect(outcome).toMatchObject({ status: 'succeeded', output: 'Hello there', charged: '0.05001' });
    const [request] = seen;
    expect(bearerOf(request!)).toBe('access-1');
    expect(request!.headers.get('accept')).toBe('text/event-stream');
    expect(await request!.json()).toEqual({ agent: 'agora-demo/contract-reviewer', input: 'hi', stream: true });
  });

  it('delivers each delta as it arrives, before the answer is over', async () => {
    await signedIn();
    const stream = controlledSse();
    mockRoutes({ [`POST /v1/conversations/c1/messages`]: () => stream.response() });
    const deltas: string[] = [];
    let resolved = false;
    const done = streamReply('c1', 'hi', { onDelta: (text) => deltas.push(text) }).then((outcome) => {
      resolved = true;
      return outcome;
    });
    stream.send('run', runInfoBody());
    stream.send('delta', { text: 'one ' });
    await expect.poll(() => deltas).toEqual(['one ']);
    // A frame split in two arrives whole.
    stream.write('event: delta\ndata: {"te');
    stream.write('xt":"two"}\n\n');
    await expect.poll(() => deltas).toEqual(['one ', 'two']);
    expect(resolved).toBe(false);
    stream.send('done', outcomeBody({ output: 'one two' }));
    stream.close();
    expect((await done).output).toBe('one two');
  });

  it('reports the calls to the agent’s tools, in order with the text, and ignores calls to offered tools', async () => {
    await signedIn();
    const body =
      sseFrame('run', runInfoBody()) +
      sseFrame('delta', { text: 'Let me look. ' }) +
      sseFrame('tool_started', toolCallBody()) +
      sseFrame('tool_used', toolUseBody()) +
      // A call to a tool the caller offered: this UI offers none, so it is not its business.
      sseFrame('tool_call', toolCallBody({ id: 'call_x', name: 'get_weather' })) +
      // Malformed events are skipped.
      sseFrame('tool_started', { name: 'fetch_page' }) +
      sseFrame('tool_used', { call: toolCallBody(), outcome: 'ok' }) +
      sseFrame('delta', { text: 'It says hello.' }) +
      sseFrame('done', outcomeBody({ output: 'Let me look. It says hello.', tool_uses: [toolUseBody()] }));
    mockRoutes({
      'POST /v1/runs': () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    });
    const seen: string[] = [];
    const outcome = await streamRun(
      { agent: 'agora-demo/web-reader', input: 'What does example.com say?' },
      {
        onDelta: (text) => seen.push(`delta ${text}`),
        onToolStarted: (call) => seen.push(`started ${call.id} ${call.name} ${call.arguments}`),
        onToolUsed: (use) => seen.push(`used ${use.call.id} ${use.outcome} ${use.latency_ms}`),
      },
    );
    expect(seen).toEqual([
      'delta Let me look. ',
      'started call_1 fetch_page {"url":"https://example.com"}',
      'used call_1 ok 87',
      'delta It says hello.',
    ]);
    expect(outcome.tool_uses).toEqual([toolUseBody()]);
  });

  it('refreshes the session once on a 401 and sends the request again', async () => {
    await signedIn('old');
    const tokens: (string | null)[] = [];
    mockRoutes({
      'POST /v1/auth/refresh': () => jsonResponse(sessionBody('new')),
      'POST /v1/runs': (request) => {
        tokens.push(bearerOf(request));
        return bearerOf(request) === 'new' ? sseResponse(['ok']) : unauthorized();
      },
    });
    const outcome = await streamRun({ agent: 'a/b', input: 'hi' });
    expect(outcome.output).toBe('ok');
    expect(tokens).toEqual(['old', 'new']);
  });

  it('rejects with the problem of an error answer: 402, 422 fields, 429 Retry-After', async () => {
    await signedIn();
    mockRoutes({
      'POST /v1/runs': () => problemResponse(402, 'insufficient-credits', 'Insufficient credits', 'You have 0 credits.'),
    });
    const credits = await streamRun({ agent: 'a/b', input: 'hi' }).catch((error: unknown) => error);
    expect(credits).toBeInstanceOf(ApiError);
    expect(credits).toMatchObject({ status: 402, message: 'Insufficient credits: You have 0 credits.' });

    mockRoutes({
      'POST /v1/runs': () =>
        problemResponse(422, 'validation', 'Unprocessable Entity', 'Some fields are invalid', [
          { field: 'inputs.tone', message: 'must be one of: formal, casual' },
        ]),
    });
    const invalid = await streamRun({ agent: 'a/b', input: 'hi' }).catch((error: unknown) => error);
    expect((invalid as ApiError).fieldErrors).toEqual({ 'inputs.tone': ['must be one of: formal, casual'] });

    mockRoutes({
      'POST /v1/runs': () => problemResponse(429, 'rate-limited', 'Too Many Requests', 'Slow down.', undefined, { 'retry-after': '12' }),
    });
    const limited = await streamRun({ agent: 'a/b', input: 'hi' }).catch((error: unknown) => error);
    expect((limited as ApiError).retryAfterSeconds).toBe(12);
  });

  it('rejects when the stream ends without a done event', async () => {
    await signedIn();
    const stream = controlledSse();
    mockRoutes({ 'POST /v1/runs': () => stream.response() });
    const result = streamRun({ agent: 'a/b', input: 'hi' }).catch((error: unknown) => error);
    stream.send('run', runInfoBody());
    stream.send('delta', { text: 'half' });
    stream.close();
    const error = await result;
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toMatch(/cut off/);
  });
});
