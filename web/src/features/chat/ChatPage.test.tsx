import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody, USER_ID } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import {
  controlledSse,
  outcomeBody,
  RUN_ID,
  runInfoBody,
  sseResponse,
  toolCallBody,
  toolUseBody,
} from '../../test/streamFixtures';

const signedIn = {
  'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
  'GET /v1/me': () => jsonResponse(userBody),
};
/** The first render waits for the page's code (loaded on demand). */
const SLOW = { timeout: 5000 };

function conversationBody(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    user_id: USER_ID,
    agent: 'agora-demo/contract-reviewer',
    agent_id: 'a1',
    agent_name: 'Contract Reviewer',
    agent_version: 2,
    title: `Title of ${id}`,
    inputs: {},
    created_at: '2026-03-01T10:00:00Z',
    updated_at: '2026-03-01T10:00:00Z',
    ...overrides,
  };
}

function message(id: string, role: 'user' | 'assistant', content: string, extra: Record<string, unknown> = {}) {
  return { id, role, content, run_id: null, status: 'complete', created_at: '2026-03-01T10:00:00Z', ...extra };
}

function runRecord(id: string, charged: number) {
  return {
    id,
    user_id: USER_ID,
    agent_id: 'a1',
    agent: 'agora-demo/contract-reviewer',
    agent_version: 2,
    conversation_id: 'c1',
    source: 'chat',
    status: 'succeeded',
    credential: 'offline',
    provider: 'agora',
    model: 'echo',
    attempts: [],
    input_tokens: 70,
    output_tokens: 11,
    usage_estimated: false,
    model_cost_micros: 10,
    agent_price_micros: 50_000,
    charged_micros: charged,
    hold_micros: 60_000,
    price_table: '2026-11-01',
    cached: false,
    output: 'Hi',
    finish_reason: 'stop',
    error: null,
    ttft_ms: 30,
    latency_ms: 353,
    created_at: '2026-03-01T10:00:00Z',
    finished_at: '2026-03-01T10:00:01Z',
  };
}

/** A chat server: two conversations, c1 with one exchange; replies stream from `nextAnswer`. */
function chatApi(options: { reply?: () => Response; regenerate?: () => Response } = {}) {
  const messages = [message('m1', 'user', 'Hello'), message('m2', 'assistant', '**Hi** there', { run_id: 'run-old' })];
  const calls: string[] = [];
  const sent: unknown[] = [];
  let conversations = [
    conversationBody('c2', { updated_at: '2026-03-01T09:00:00Z', title: 'Older chat' }),
    conversationBody('c1', { updated_at: '2026-03-01T11:00:00Z', title: 'Newer chat' }),
  ];
  const routes = mockRoutes({
    ...signedIn,
    'GET /v1/conversations': () => jsonResponse({ conversations }),
    'GET /v1/conversations/c1': () => jsonResponse({ conversation: conversationBody('c1', { title: 'Newer chat' }), messages }),
    'GET /v1/me/runs': () => jsonResponse({ runs: [runRecord('run-old', 50_010)], next_before: null }),
    'POST /v1/conversations/c1/messages': async (request) => {
      const body = (await request.json()) as { content: string };
      sent.push(body);
      calls.push('reply');
      return options.reply?.() ?? sseResponse(['ok']);
    },
    'POST /v1/conversations/c1/regenerate': () => {
      calls.push('regenerate');
      return options.regenerate?.() ?? sseResponse(['again']);
    },
    [`POST /v1/runs/${RUN_ID}/stop`]: () => {
      calls.push('stop');
      return jsonResponse(runRecord(RUN_ID, 0), 202);
    },
    'DELETE /v1/conversations/c2': () => {
      calls.push('delete c2');
      conversations = conversations.filter((conversation) => conversation.id !== 'c2');
      return new Response(null, { status: 204 });
    },
  });
  return { messages, calls, sent, routes };
}

describe('ChatPage', () => {
  it('lists the conversations, the most recent first, and shows each answer with its model and cost', async () => {
    chatApi();
    renderApp('/chat/c1');
    const list = await screen.findByTestId('conversation-list', {}, SLOW);
    const items = within(list).getAllByTestId('conversation-item');
    expect(items.map((item) => item.dataset.conversationId)).toEqual(['c1', 'c2']);
    expect(within(items[0]!).getByRole('link')).toHaveAttribute('aria-current', 'page');

    expect(await screen.findByTestId('chat-title')).toHaveTextContent('Newer chat');
    const answers = await screen.findAllByTestId('chat-message');
    expect(answers.map((item) => item.dataset.role)).toEqual(['user', 'assistant']);
    expect(await within(answers[1]!).findByText('Hi', { selector: 'strong' }, SLOW)).toBeInTheDocument();
    expect(await within(answers[1]!).findByTestId('answer-cost')).toHaveTextContent('Cost 0.05001 credits');
    expect(within(answers[1]!).getByTestId('answer-model')).toHaveTextContent('agora/echo');
  });

  it('streams the answer piece by piece, and Stop asks the server to stop the run', async () => {
    const stream = controlledSse();
    const { messages, calls, sent } = chatApi({ reply: () => stream.response() });
    renderApp('/chat/c1');
    const box = await screen.findByTestId('chat-input', {}, SLOW);
    fireEvent.change(box, { target: { value: 'Tell me more' } });
    fireEvent.keyDown(box, { key: 'Enter' });

    expect(await screen.findByTestId('pending-message')).toHaveTextContent('Tell me more');
    expect(box).toHaveValue('');
    stream.send('run', runInfoBody());
    stream.send('delta', { text: 'Once ' });
    const streaming = await screen.findByTestId('streaming-answer');
    await waitFor(() => expect(streaming).toHaveTextContent('Once'));
    expect(streaming).toHaveAttribute('data-status', 'streaming');
    stream.send('delta', { text: 'upon a' });
    await waitFor(() => expect(screen.getByTestId('streaming-answer')).toHaveTextContent('Once upon a'));
    expect(sent).toEqual([{ content: 'Tell me more', stream: true }]);

    fireEvent.click(screen.getByTestId('stop-answer'));
    await waitFor(() => expect(calls).toContain('stop'));
    // The server ends the stream with what it had, marked stopped, and stores it.
    messages.push(
      message('m3', 'user', 'Tell me more'),
      message('m4', 'assistant', 'Once upon a', { run_id: RUN_ID, status: 'stopped' }),
    );
    stream.send('done', outcomeBody({ status: 'stopped', output: 'Once upon a', charged: '0.000004' }));
    stream.close();

    await waitFor(() => expect(screen.queryByTestId('streaming-answer')).not.toBeInTheDocument());
    const last = screen.getAllByTestId('chat-message').at(-1)!;
    expect(last).toHaveAttribute('data-status', 'stopped');
    expect(within(last).getByTestId('answer-status')).toHaveTextContent('Stopped');
    expect(within(last).getByTestId('answer-cost')).toHaveTextContent('Cost 0.000004 credits');
    expect(within(last).getByTestId('regenerate')).toBeInTheDocument();
  });

  it('shows the agent’s tool calls as they happen, with their outcomes, and keeps them once the answer is stored', async () => {
    const stream = controlledSse();
    const { messages } = chatApi({ reply: () => stream.response() });
    renderApp('/chat/c1');
    const box = await screen.findByTestId('chat-input', {}, SLOW);
    fireEvent.change(box, { target: { value: 'What does down.example say?' } });
    fireEvent.keyDown(box, { key: 'Enter' });

    const failing = toolCallBody({ id: 'call_a', arguments: '{"url":"https://down.example"}' });
    const failed = toolUseBody({
      call: failing,
      outcome: 'error',
      result_preview: 'could not fetch the page: connection refused',
      result_chars: 44,
      latency_ms: 1200,
    });
    const refused = toolUseBody({
      call: toolCallBody({ id: 'call_b', arguments: '{"url":"http://169.254.169.254/latest/meta-data"}' }),
      outcome: 'refused',
      result_preview: 'this run has made as many tool calls as it may',
      result_chars: 46,
      latency_ms: 0,
    });
    stream.send('run', runInfoBody());
    stream.send('tool_started', failing);
    const streaming = await screen.findByTestId('streaming-answer');
    const first = await within(streaming).findByTestId('tool-card');
    expect(first).toHaveAttribute('data-status', 'running');
    expect(first).toHaveTextContent('Calling fetch_page…');

    stream.send('tool_used', failed);
    await waitFor(() => expect(first).toHaveAttribute('data-status', 'error'));
    expect(first.querySelector('summary')).toHaveTextContent('fetch_page · 1.2 s');
    expect(within(first).getByTestId('tool-outcome')).toHaveTextContent('Error');
    // A refused call was never started: it comes with its outcome.
    stream.send('tool_used', refused);
    await waitFor(() => expect(within(streaming).getAllByTestId('tool-card')).toHaveLength(2));
    const second = within(streaming).getAllByTestId('tool-card')[1]!;
    expect(second).toHaveAttribute('data-status', 'refused');
    expect(within(second).getByTestId('tool-outcome')).toHaveTextContent('Refused');
    expect(second.querySelector('summary')).toHaveTextContent('fetch_page · 0 ms');
    fireEvent.click(second.querySelector('summary')!);
    expect(within(second).getByTestId('tool-arguments')).toHaveTextContent('"url": "http://169.254.169.254/latest/meta-data"');
    expect(within(second).getByTestId('tool-result')).toHaveTextContent('this run has made as many tool calls as it may');

    stream.send('delta', { text: 'I could not read the page.' });
    await waitFor(() => expect(streaming).toHaveTextContent('I could not read the page.'));
    messages.push(
      message('m3', 'user', 'What does down.example say?'),
      message('m4', 'assistant', 'I could not read the page.', { run_id: RUN_ID, tool_uses: [failed, refused] }),
    );
    stream.send('done', outcomeBody({ output: 'I could not read the page.', tool_uses: [failed, refused] }));
    stream.close();

    await waitFor(() => expect(screen.queryByTestId('streaming-answer')).not.toBeInTheDocument());
    const last = screen.getAllByTestId('chat-message').at(-1)!;
    expect(within(last).getAllByTestId('tool-card').map((card) => card.dataset.status)).toEqual(['error', 'refused']);
    expect(within(last).getByTestId('answer-text')).toHaveTextContent('I could not read the page.');
    // Earlier answers had no tool calls: no cards.
    expect(within(screen.getAllByTestId('chat-message')[1]!).queryByTestId('tool-card')).not.toBeInTheDocument();
  });

  it('shows the tool calls of stored answers again, above their text, the results as plain text', async () => {
    const { messages } = chatApi();
    const page = '<img src=x onerror="alert(1)"><b>Example Domain</b> [a link](javascript:alert(2))';
    messages[1] = message('m2', 'assistant', 'The page is **an example**.', {
      run_id: 'run-old',
      tool_uses: [
        toolUseBody({ result_preview: page, result_chars: 5000 }),
        toolUseBody({
          call: toolCallBody({ id: 'call_2', name: 'current_time', arguments: '{}' }),
          result_preview: '2026-03-01T10:00:00Z (Sunday)',
          result_chars: 29,
          latency_ms: 0,
        }),
      ],
    });
    renderApp('/chat/c1');
    const answer = (await screen.findAllByTestId('chat-message', {}, SLOW))[1]!;
    const cards = within(answer).getAllByTestId('tool-card');
    expect(cards.map((card) => [card.dataset.tool, card.dataset.status])).toEqual([
      ['fetch_page', 'ok'],
      ['current_time', 'ok'],
    ]);
    expect(cards[1]!.querySelector('summary')).toHaveTextContent('current_time · 0 ms');
    expect(cards.every((card) => !card.hasAttribute('open'))).toBe(true);
    // The answer's Markdown is rendered; the calls come before it.
    expect(await within(answer).findByText('an example', { selector: 'strong' }, SLOW)).toBeInTheDocument();
    const text = within(answer).getByTestId('answer-text').textContent;
    expect(text.indexOf('current_time')).toBeLessThan(text.indexOf('The page is'));

    fireEvent.click(cards[0]!.querySelector('summary')!);
    expect(within(cards[0]!).getByTestId('tool-arguments').textContent).toBe('{\n  "url": "https://example.com"\n}');
    expect(within(cards[0]!).getByTestId('tool-result').textContent).toBe(page);
    expect(within(cards[0]!).getByTestId('tool-result-more')).toHaveTextContent('… (5,000 characters in all)');
    expect(answer.querySelector('img, b, a[href^="javascript"]')).toBeNull();
    fireEvent.click(cards[1]!.querySelector('summary')!);
    expect(within(cards[1]!).getByTestId('tool-arguments').textContent).toBe('{}');
    expect(within(cards[1]!).queryByTestId('tool-result-more')).not.toBeInTheDocument();
  });

  it('explains a refused message (402: add credits) and gives the message back', async () => {
    chatApi({
      reply: () =>
        problemResponse(402, 'insufficient-credits', 'Payment Required', 'The run could cost 0.06 credits; you have 0.01.'),
    });
    renderApp('/chat/c1');
    const box = await screen.findByTestId('chat-input', {}, SLOW);
    fireEvent.change(box, { target: { value: 'One more' } });
    fireEvent.click(screen.getByTestId('send-message'));

    const alert = await screen.findByTestId('answer-error');
    expect(alert).toHaveTextContent('Not enough credits for this run. The run could cost 0.06 credits; you have 0.01.');
    expect(within(alert).getByTestId('add-credits')).toHaveAttribute('href', '/account/billing');
    await waitFor(() => expect(screen.getByTestId('chat-input')).toHaveValue('One more'));
    expect(screen.queryByTestId('pending-message')).not.toBeInTheDocument();
  });

  it('puts a 422 about the message next to the message box', async () => {
    chatApi({
      reply: () =>
        problemResponse(422, 'validation', 'Unprocessable Entity', 'Some fields are invalid', [
          { field: 'content', message: 'must be at most 20000 characters' },
        ]),
    });
    renderApp('/chat/c1');
    const box = await screen.findByTestId('chat-input', {}, SLOW);
    fireEvent.change(box, { target: { value: 'x' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(await screen.findByTestId('field-error-content')).toHaveTextContent('must be at most 20000 characters');
    expect(screen.getByTestId('chat-input')).toHaveAttribute('aria-invalid', 'true');
  });

  it('regenerates the last answer in place', async () => {
    const stream = controlledSse();
    const { messages, calls } = chatApi({ regenerate: () => stream.response() });
    renderApp('/chat/c1');
    fireEvent.click(await screen.findByTestId('regenerate', {}, SLOW));
    stream.send('run', runInfoBody());
    stream.send('delta', { text: 'A new answer' });
    await waitFor(() => expect(screen.getByTestId('streaming-answer')).toHaveTextContent('A new answer'));
    // The answer it replaces is hidden meanwhile.
    expect(screen.getAllByTestId('chat-message').map((item) => item.dataset.role)).toEqual(['user']);
    messages.splice(1, 1, message('m5', 'assistant', 'A new answer', { run_id: RUN_ID }));
    stream.send('done', outcomeBody({ output: 'A new answer' }));
    stream.close();
    await waitFor(() => expect(screen.queryByTestId('streaming-answer')).not.toBeInTheDocument());
    const items = screen.getAllByTestId('chat-message');
    expect(items).toHaveLength(2);
    expect(items[1]).toHaveTextContent('A new answer');
    expect(calls).toEqual(['regenerate']);
  });

  it('deletes a conversation after a confirm step', async () => {
    const { calls } = chatApi();
    renderApp('/chat/c1');
    const list = await screen.findByTestId('conversation-list', {}, SLOW);
    const older = within(list).getAllByTestId('conversation-item')[1]!;
    fireEvent.click(within(older).getByRole('button', { name: 'Delete “Older chat”' }));
    expect(calls).toEqual([]);
    fireEvent.click(within(older).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(within(list).getAllByTestId('conversation-item')).toHaveLength(1));
    expect(calls).toEqual(['delete c2']);
  });

  it('sends a signed-out visitor to sign in', async () => {
    mockRoutes({ 'POST /v1/auth/refresh': () => problemResponse(401, 'unauthorized', 'Unauthorized', 'No session.') });
    const { router } = renderApp('/chat/c1');
    await waitFor(() => expect(router.state.location.pathname).toBe('/signin'));
    expect(router.state.location.search).toBe('?next=%2Fchat%2Fc1');
  });
});
