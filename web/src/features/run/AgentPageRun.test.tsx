import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { agentViewBody, categoriesBody, specBody, versionBody } from '../../test/catalogFixtures';
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

const AGENT = '/v1/agents/agora-demo/contract-reviewer';
const PATH = '/agents/agora-demo/contract-reviewer';
const signedIn = {
  'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
  'GET /v1/me': () => jsonResponse(userBody),
  'GET /v1/me/saved-agents': () => jsonResponse({ saved: [] }),
};
const signedOut = { 'POST /v1/auth/refresh': () => problemResponse(401, 'unauthorized', 'Unauthorized', 'No session.') };

function review(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    agent_id: 'a1',
    user_id: `user-${id}`,
    author_handle: `author-${id}`,
    author_name: `Author ${id}`,
    rating: 4,
    body: `Review ${id} <img src=x onerror=alert(1)>`,
    reply: null,
    replied_at: null,
    created_at: '2026-03-02T10:00:00Z',
    updated_at: '2026-03-02T10:00:00Z',
    ...overrides,
  };
}

const reviewsBody = {
  rating: { count: 2, average: 4.5, score: 3.9 },
  reviews: [review('r1', { rating: 5, reply: 'Thanks!', replied_at: '2026-03-03T10:00:00Z' }), review('r2')],
};

function runs(status: string) {
  return { runs: [{ id: RUN_ID, status, agent: 'agora-demo/contract-reviewer' }], next_before: null };
}

function agentApi(extra: Record<string, (request: Request) => Response | Promise<Response>> = {}, view = agentViewBody()) {
  return mockRoutes({
    ...signedIn,
    'GET /v1/categories': () => jsonResponse(categoriesBody),
    [`GET ${AGENT}`]: () => jsonResponse(view),
    [`GET ${AGENT}/versions`]: () => jsonResponse({ versions: [versionBody(2)] }),
    [`GET ${AGENT}/reviews`]: () => jsonResponse(reviewsBody),
    'GET /v1/me/runs': () => jsonResponse(runs('succeeded')),
    ...extra,
  });
}

describe('the try-it panel', () => {
  it('runs the prompt with the agent’s inputs, streams the answer and shows its cost', async () => {
    const stream = controlledSse();
    const bodies: unknown[] = [];
    agentApi({
      'POST /v1/runs': async (request) => {
        bodies.push(await request.json());
        return stream.response();
      },
    });
    renderApp(PATH);
    const panel = await screen.findByTestId('try-it');
    fireEvent.click(within(panel).getByTestId('try-it-run'));
    // Checked before sending: the prompt and the required input.
    expect(await within(panel).findByTestId('field-error-input')).toHaveTextContent('Write what you want the agent to do.');
    expect(within(panel).getByTestId('field-error-inputs.contract')).toHaveTextContent('Contract is required.');
    expect(bodies).toEqual([]);

    fireEvent.change(within(panel).getByLabelText('Contract'), { target: { value: 'Clause 4: unlimited liability' } });
    fireEvent.change(within(panel).getByTestId('try-it-prompt'), { target: { value: 'Is clause 4 risky?' } });
    fireEvent.click(within(panel).getByTestId('try-it-run'));
    await waitFor(() => expect(bodies).toHaveLength(1));
    expect(bodies[0]).toEqual({
      agent: 'agora-demo/contract-reviewer',
      input: 'Is clause 4 risky?',
      inputs: { contract: 'Clause 4: unlimited liability' },
      stream: true,
    });
    stream.send('run', runInfoBody());
    stream.send('delta', { text: 'Yes, ' });
    await waitFor(() => expect(within(panel).getByTestId('try-it-output')).toHaveTextContent('Yes,'));
    expect(within(panel).getByTestId('try-it-output')).toHaveAttribute('aria-busy', 'true');
    expect(within(panel).getByTestId('try-it-stop')).toBeInTheDocument();
    stream.send('delta', { text: 'it is.' });
    stream.send('done', outcomeBody({ output: 'Yes, it is.', charged: '0.05001' }));
    stream.close();

    expect(await within(panel).findByTestId('answer-cost')).toHaveTextContent('Cost 0.05001 credits');
    expect(within(panel).getByTestId('answer-model')).toHaveTextContent('agora/echo');
    expect(within(panel).getByTestId('try-it-output')).toHaveTextContent('Yes, it is.');
    expect(within(panel).getByTestId('continue-in-chat')).toBeInTheDocument();
  });

  it('shows each call to the agent’s tools as a card above the text that followed it', async () => {
    const stream = controlledSse();
    const tools = [
      { type: 'builtin', name: 'fetch_page' },
      { type: 'builtin', name: 'current_time' },
    ];
    agentApi(
      { 'POST /v1/runs': () => stream.response() },
      agentViewBody({ latest: versionBody(2, { spec: specBody({ inputs: [], tools }) }) }),
    );
    renderApp(PATH);
    const panel = await screen.findByTestId('try-it');
    fireEvent.change(within(panel).getByTestId('try-it-prompt'), { target: { value: 'What does example.com say?' } });
    fireEvent.click(within(panel).getByTestId('try-it-run'));

    stream.send('run', runInfoBody());
    stream.send('delta', { text: 'Let me read it. ' });
    stream.send('tool_started', toolCallBody());
    const card = await within(panel).findByTestId('tool-card');
    // Started, not used yet: a spinner and the words.
    expect(card).toHaveAttribute('data-status', 'running');
    expect(within(card).getByText(/Calling/).closest('summary')).toHaveTextContent('Calling fetch_page…');
    expect(card.querySelector('.tool-card-spinner')).not.toBeNull();
    expect(within(panel).getByTestId('try-it-output')).toHaveTextContent('Let me read it.');

    stream.send('tool_used', toolUseBody());
    await waitFor(() => expect(card).toHaveAttribute('data-status', 'ok'));
    const summary = card.querySelector('summary')!;
    expect(summary).toHaveTextContent('fetch_page · 87 ms');
    expect(within(card).getByTestId('tool-outcome')).toHaveTextContent('OK');
    expect(card.querySelector('.tool-card-spinner')).toBeNull();
    // Collapsed at first; open, the arguments (pretty-printed) and the start of the result.
    expect(card).not.toHaveAttribute('open');
    fireEvent.click(summary);
    expect(card).toHaveAttribute('open');
    expect(within(card).getByTestId('tool-arguments').textContent).toBe('{\n  "url": "https://example.com"\n}');
    expect(within(card).getByTestId('tool-result')).toHaveTextContent('Example Domain. This domain is for use');
    expect(within(card).getByTestId('tool-result-more')).toHaveTextContent('… (1,234 characters in all)');

    stream.send('delta', { text: 'It is an example.' });
    await waitFor(() => expect(within(panel).getByTestId('try-it-output')).toHaveTextContent('It is an example.'));
    stream.send(
      'done',
      outcomeBody({ output: 'Let me read it. It is an example.', tool_uses: [toolUseBody()] }),
    );
    stream.close();
    expect(await within(panel).findByTestId('answer-cost')).toBeInTheDocument();
    // The call stays where it was made: between the two pieces of text.
    const output = within(panel).getByTestId('try-it-output').textContent;
    expect(output.indexOf('Let me read it.')).toBeLessThan(output.indexOf('fetch_page · 87 ms'));
    expect(output.indexOf('fetch_page · 87 ms')).toBeLessThan(output.indexOf('It is an example.'));
    expect(within(panel).getByTestId('tool-card')).toHaveAttribute('data-status', 'ok');
  });

  it('shows what a tool returned as text, never as HTML', async () => {
    const page = '<img src=x onerror="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)">**click**</a>';
    agentApi(
      {
        'POST /v1/runs': () =>
          sseResponse(['Done.'], {
            tool_uses: [toolUseBody({ result_preview: page, result_chars: page.length })],
          }),
      },
      agentViewBody({ latest: versionBody(2, { spec: specBody({ inputs: [], tools: [{ type: 'builtin', name: 'fetch_page' }] }) }) }),
    );
    renderApp(PATH);
    const panel = await screen.findByTestId('try-it');
    fireEvent.change(within(panel).getByTestId('try-it-prompt'), { target: { value: 'Read it' } });
    fireEvent.click(within(panel).getByTestId('try-it-run'));
    // No tool events in the stream: the outcome's calls are shown above the answer.
    const card = await within(panel).findByTestId('tool-card');
    fireEvent.click(card.querySelector('summary')!);
    expect(within(card).getByTestId('tool-result').textContent).toBe(page);
    expect(within(card).queryByTestId('tool-result-more')).not.toBeInTheDocument();
    expect(card.querySelector('img, script, a, strong')).toBeNull();
    expect(panel.querySelector('img, script')).toBeNull();
  });

  it('puts the API’s errors for the inputs next to them', async () => {
    agentApi({
      'POST /v1/runs': () =>
        problemResponse(422, 'validation', 'Unprocessable Entity', 'Some fields are invalid', [
          { field: 'inputs.contract', message: 'must be at most 20000 characters' },
        ]),
    });
    renderApp(PATH);
    const panel = await screen.findByTestId('try-it');
    fireEvent.change(within(panel).getByLabelText('Contract'), { target: { value: 'long' } });
    fireEvent.change(within(panel).getByTestId('try-it-prompt'), { target: { value: 'Check it' } });
    fireEvent.click(within(panel).getByTestId('try-it-run'));
    expect(await within(panel).findByTestId('field-error-inputs.contract')).toHaveTextContent('must be at most 20000 characters');
    expect(within(panel).getByLabelText('Contract')).toHaveAttribute('aria-invalid', 'true');
  });

  it('continues in a chat: a conversation with the same inputs, the prompt ready to send', async () => {
    const created: unknown[] = [];
    agentApi({
      'POST /v1/runs': () => sseResponse(['Fine.']),
      'POST /v1/conversations': async (request) => {
        created.push(await request.json());
        return jsonResponse({ id: 'c9' }, 201);
      },
      'GET /v1/conversations': () => jsonResponse({ conversations: [] }),
      'GET /v1/conversations/c9': () =>
        jsonResponse({
          conversation: {
            id: 'c9',
            user_id: USER_ID,
            agent: 'agora-demo/contract-reviewer',
            agent_id: 'a1',
            agent_name: 'Contract Reviewer',
            agent_version: 2,
            title: '',
            inputs: { contract: 'NDA' },
            created_at: '2026-03-01T10:00:00Z',
            updated_at: '2026-03-01T10:00:00Z',
          },
          messages: [],
        }),
    });
    const { router } = renderApp(PATH);
    const panel = await screen.findByTestId('try-it');
    fireEvent.change(within(panel).getByLabelText('Contract'), { target: { value: 'NDA' } });
    fireEvent.change(within(panel).getByTestId('try-it-prompt'), { target: { value: 'Anything odd?' } });
    fireEvent.click(within(panel).getByTestId('try-it-run'));
    fireEvent.click(await within(panel).findByTestId('continue-in-chat'));
    await waitFor(() => expect(router.state.location.pathname).toBe('/chat/c9'));
    expect(created).toEqual([{ agent: 'agora-demo/contract-reviewer', inputs: { contract: 'NDA' } }]);
    expect(await screen.findByTestId('chat-input', {}, { timeout: 5000 })).toHaveValue('Anything odd?');
    expect(screen.getByText('contract: NDA')).toBeInTheDocument();
  });

  it('asks a signed-out visitor to sign in, and offers Chat after it', async () => {
    mockRoutes({
      ...signedOut,
      'GET /v1/categories': () => jsonResponse(categoriesBody),
      [`GET ${AGENT}`]: () => jsonResponse(agentViewBody()),
      [`GET ${AGENT}/versions`]: () => jsonResponse({ versions: [versionBody(2)] }),
      [`GET ${AGENT}/reviews`]: () => jsonResponse(reviewsBody),
    });
    renderApp(PATH);
    const panel = await screen.findByTestId('try-it');
    await waitFor(() =>
      expect(within(panel).getByRole('link', { name: 'Sign in to try it' })).toHaveAttribute(
        'href',
        '/signin?next=%2Fagents%2Fagora-demo%2Fcontract-reviewer',
      ),
    );
    expect(screen.getByRole('link', { name: 'Sign in to chat' })).toBeInTheDocument();
    expect(screen.getByTestId('rating-count')).toHaveTextContent('2 reviews');
    expect(screen.queryByTestId('review-form')).not.toBeInTheDocument();
  });
});

describe('reviews on the agent page', () => {
  it('shows the rating, the reviews as plain text, and the creator’s replies', async () => {
    agentApi();
    renderApp(PATH);
    const section = await screen.findByTestId('reviews');
    expect(await within(section).findByTestId('rating-stars')).toHaveAccessibleName('4.5 out of 5 stars');
    expect(within(section).getByTestId('rating-count')).toHaveTextContent('2 reviews');
    const [first, second] = within(section).getAllByTestId('review');
    expect(within(first!).getByRole('img')).toHaveAccessibleName('5 out of 5 stars');
    expect(within(first!).getByTestId('review-reply')).toHaveTextContent('Thanks!');
    expect(second).toHaveTextContent('Review r2 <img src=x onerror=alert(1)>');
    expect(section.querySelector('img')).toBeNull();
  });

  it('asks to run the agent first when the user has no completed run', async () => {
    agentApi({ 'GET /v1/me/runs': () => jsonResponse(runs('failed')) });
    renderApp(PATH);
    expect(await screen.findByTestId('review-run-first')).toHaveTextContent(
      'Only people who have run this agent can review it.',
    );
    expect(screen.queryByTestId('review-form')).not.toBeInTheDocument();
  });

  it('posts a review with its stars, and shows a 403 in words', async () => {
    let posted: unknown = null;
    let allowed = false;
    const list = structuredClone(reviewsBody);
    agentApi({
      [`GET ${AGENT}/reviews`]: () => jsonResponse(list),
      [`PUT ${AGENT}/reviews/mine`]: async (request) => {
        posted = await request.json();
        if (!allowed) {
          return problemResponse(403, 'forbidden', 'Forbidden', 'Only people who ran this agent can review it; run it first.');
        }
        const mine = review('mine', { user_id: USER_ID, rating: 3, body: 'Decent.', author_name: 'Ada Lovelace' });
        list.reviews.unshift(mine);
        return jsonResponse(mine);
      },
    });
    renderApp(PATH);
    const form = await screen.findByTestId('review-form');
    fireEvent.click(within(form).getByRole('button', { name: 'Post review' }));
    expect(await within(form).findByTestId('field-error-rating')).toHaveTextContent('Choose from 1 to 5 stars.');
    expect(posted).toBeNull();

    fireEvent.click(within(form).getByRole('radio', { name: '3 stars' }));
    fireEvent.change(within(form).getByLabelText(/Your review/), { target: { value: 'Decent.' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Post review' }));
    expect(await within(form).findByTestId('review-forbidden')).toHaveTextContent('run it first');
    expect(posted).toEqual({ rating: 3, body: 'Decent.' });

    allowed = true;
    fireEvent.click(within(form).getByRole('button', { name: 'Post review' }));
    expect(await within(form).findByTestId('review-saved')).toHaveTextContent('your review is posted');
    const mine = await screen.findByText('Decent.', { selector: '.review-body' });
    expect(mine.closest('[data-testid="review"]')).toHaveAttribute('data-own', 'true');
  });

  it('lets the creator reply, and anyone signed in report a review', async () => {
    const replies: unknown[] = [];
    const reports: unknown[] = [];
    const list = structuredClone(reviewsBody);
    agentApi(
      {
        [`GET ${AGENT}/reviews`]: () => jsonResponse(list),
        [`PUT ${AGENT}/reviews/r2/reply`]: async (request) => {
          const body = (await request.json()) as { reply: string };
          replies.push(body);
          const updated = review('r2', { reply: body.reply, replied_at: '2026-03-04T10:00:00Z' });
          list.reviews[1] = updated;
          return jsonResponse(updated);
        },
        [`POST ${AGENT}/reviews/r1/reports`]: async (request) => {
          reports.push(await request.json());
          return new Response(null, { status: 202 });
        },
      },
      agentViewBody({ is_owner: true, latest: versionBody(2, { spec: specBody({ inputs: [] }) }) }),
    );
    renderApp(PATH);
    expect(await screen.findByText('This is your agent: you can reply to its reviews, not review it.')).toBeInTheDocument();
    const [first, second] = await screen.findAllByTestId('review');
    fireEvent.click(within(second!).getByTestId('reply-review'));
    fireEvent.change(within(second!).getByLabelText('Reply to Author r2'), { target: { value: 'Fixed in v3.' } });
    fireEvent.click(within(second!).getByRole('button', { name: 'Reply' }));
    await waitFor(() => expect(within(second!).getByTestId('review-reply')).toHaveTextContent('Fixed in v3.'));
    expect(replies).toEqual([{ reply: 'Fixed in v3.' }]);

    fireEvent.click(within(first!).getByTestId('report-review'));
    fireEvent.click(within(first!).getByRole('button', { name: 'Report review' }));
    expect(await within(first!).findByTestId('field-error-reason')).toBeInTheDocument();
    fireEvent.change(within(first!).getByLabelText(/Why should the moderators/), { target: { value: 'Spam link' } });
    fireEvent.click(within(first!).getByRole('button', { name: 'Report review' }));
    expect(await within(first!).findByTestId('review-reported')).toHaveTextContent('Reported');
    expect(reports).toEqual([{ reason: 'Spam link' }]);
  });
});
