import '../../../test/reactFlow';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { cardBody, pageBody, specBody, versionBody } from '../../../test/catalogFixtures';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody } from '../../../test/fixtures';
import { renderApp } from '../../../test/render';
import { estimateBody, RUN, runBody, workflowSpecBody, workflowViewBody } from '../../../test/workflowFixtures';

/** The first render waits for the page's code (loaded on demand). */
const SLOW = { timeout: 5000 };

const versions = {
  versions: [
    versionBody(2, {
      spec: specBody({
        name: 'SQL Explainer',
        inputs: [{ name: 'dialect', label: 'Dialect', type: 'text', required: false, options: [] }],
      }),
    }),
    versionBody(1, { deprecated_at: '2026-03-02T10:00:00Z', deprecation_note: 'Use v2' }),
  ],
};

const signedIn = {
  'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
  'GET /v1/me': () => jsonResponse(userBody),
  'GET /v1/agents/agora-demo/sql-explainer/versions': () => jsonResponse(versions),
};

function node(step: string): HTMLElement {
  const found = document.querySelector<HTMLElement>(`[data-testid="wf-node"][data-step="${step}"]`);
  if (!found) throw new Error(`no node for step ${step}`);
  return found;
}

/** The input (or select, or textarea) for an API field path. */
function control(path: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(`[name="${path}"]`);
  if (!element) throw new Error(`no control named ${path}`);
  return element;
}

function type(path: string, value: string) {
  fireEvent.change(control(path), { target: { value } });
}

describe('the workflow editor', () => {
  it('puts validation errors on the node of their step, and the messages in its panel', async () => {
    const validated: unknown[] = [];
    mockRoutes({
      ...signedIn,
      'GET /v1/workflows/ada/digest': () => jsonResponse(workflowViewBody()),
      'POST /v1/workflows/validate': async (request) => {
        validated.push(await request.json());
        return problemResponse(422, 'validation', 'Validation failed', '3 fields are invalid', [
          { field: 'steps[1].agent.prompt', message: 'there is no step `drafts`' },
          { field: 'steps[1].agent.version', message: 'agora-demo/sql-explainer has no published version 9' },
          { field: 'outputs.answer', message: 'names something that is neither an input nor a step of this workflow' },
        ]);
      },
    });
    renderApp('/studio/workflows/ada/digest');
    await screen.findByTestId('workflow-editor', {}, SLOW);
    expect(node('draft')).toHaveAttribute('data-kind', 'agent');
    expect(document.querySelectorAll('[data-testid="wf-node"]')).toHaveLength(2);

    fireEvent.click(screen.getByTestId('validate'));
    await waitFor(() => expect(node('polish')).toHaveAttribute('data-invalid', 'true'));
    expect(node('polish')).toHaveClass('has-error');
    expect(within(node('polish')).getByTestId('wf-node-problems')).toHaveTextContent('2 problems');
    expect(node('draft')).not.toHaveAttribute('data-invalid');
    expect(node('draft')).not.toHaveClass('has-error');
    const summary = screen.getByTestId('validation-errors');
    expect(summary).toHaveTextContent('3 problems to fix.');
    expect(summary).toHaveTextContent('outputs.answer names something that is neither an input nor a step');
    expect(screen.getByRole('tab', { name: /Outputs/ })).toHaveTextContent('1');
    expect(screen.getByRole('tab', { name: /Step/ })).toHaveTextContent('2');
    // The definition sent is the editor's, outputs included.
    expect(validated).toHaveLength(1);
    expect(validated[0]).toMatchObject({ spec: { format: 'agora.workflow/v1', outputs: { answer: '{{ steps.polish.output }}' } } });

    // Selecting the red node shows its messages, each on its field too.
    fireEvent.click(within(node('polish')).getByRole('button', { name: /Step polish/ }));
    const form = await screen.findByTestId('step-form');
    expect(form).toHaveAttribute('data-step', 'polish');
    expect(within(form).getByTestId('step-errors')).toHaveTextContent('agent.prompt there is no step `drafts`');
    expect(within(form).getByTestId('step-errors')).toHaveTextContent('agent.version agora-demo/sql-explainer has no published version 9');
    expect(screen.getByTestId('field-error-steps[1].agent.prompt')).toHaveTextContent('there is no step `drafts`');
    expect(control('steps[1].agent.prompt')).toHaveAttribute('aria-invalid', 'true');
    expect(control('steps[1].agent.version')).toHaveAttribute('aria-invalid', 'true');
    expect(node('polish')).toHaveAttribute('data-selected', 'true');

    // The other node has none.
    fireEvent.click(within(node('draft')).getByRole('button', { name: /Step draft/ }));
    expect(await screen.findByTestId('step-form')).toHaveAttribute('data-step', 'draft');
    expect(screen.queryByTestId('step-errors')).not.toBeInTheDocument();
    // The summary leads back to the step.
    fireEvent.click(within(summary).getByTestId('problem-step'));
    expect(await screen.findByTestId('step-form')).toHaveAttribute('data-step', 'polish');
  });

  it('shows the worst case of a valid workflow: in total, per step, and the creators’ share', async () => {
    mockRoutes({
      ...signedIn,
      'GET /v1/workflows/ada/digest': () => jsonResponse(workflowViewBody()),
      'POST /v1/workflows/validate': () => jsonResponse(estimateBody),
    });
    renderApp('/studio/workflows/ada/digest');
    await screen.findByTestId('workflow-editor', {}, SLOW);
    fireEvent.click(screen.getByTestId('validate'));
    const estimate = await screen.findByTestId('estimate');
    expect(within(estimate).getByTestId('worst-case')).toHaveTextContent('0.102048');
    expect(within(estimate).getByTestId('creators-share')).toHaveTextContent('0.1');
    const rows = within(estimate).getAllByTestId('estimate-step');
    expect(rows.map((row) => row.textContent)).toEqual(['draftAgent0.0510240.05', 'polishAgent0.0510240.05']);
    expect(within(estimate).getByTestId('agents-used')).toHaveTextContent('SQL Explainer');
    expect(screen.queryByTestId('validation-errors')).not.toBeInTheDocument();
    expect(document.querySelector('[data-testid="wf-node"][data-invalid]')).toBeNull();

    // A change makes the figures stale until the next validation.
    fireEvent.click(screen.getByRole('tab', { name: /Details/ }));
    type('name', 'Digest 2');
    expect(screen.getByRole('note')).toHaveTextContent('validate again');
  });

  it('builds a new workflow: adds an agent step, picks the agent from the marketplace, pins a version, and creates it', async () => {
    const created: unknown[] = [];
    const searches: string[] = [];
    const view = workflowViewBody({
      spec: workflowSpecBody({
        steps: [
          {
            id: 'draft',
            agent: { ref: 'agora-demo/sql-explainer', version: 2, prompt: 'Explain {{ inputs.topic }}', inputs: { dialect: 'postgres' } },
          },
        ],
        outputs: {},
      }),
    });
    mockRoutes({
      ...signedIn,
      'GET /v1/agents': (request) => {
        searches.push(new URL(request.url).searchParams.get('q') ?? '');
        return jsonResponse(
          pageBody([
            cardBody({ handle: 'agora-demo', slug: 'sql-explainer', name: 'SQL Explainer', price_per_run: '0', latest_version: 2 }),
          ]),
        );
      },
      'POST /v1/workflows': async (request) => {
        created.push(await request.json());
        return jsonResponse(view, 201);
      },
      'GET /v1/workflows/ada/digest': () => jsonResponse(view),
    });
    const page = renderApp('/studio/workflows/new');
    await screen.findByTestId('workflow-editor', {}, SLOW);
    type('name', 'Digest');
    type('summary', 'Drafts, then polishes.');
    expect(control('slug')).toHaveAttribute('placeholder', 'digest');
    fireEvent.click(screen.getByRole('tab', { name: /Inputs/ }));
    fireEvent.click(screen.getByRole('button', { name: '+ Add an input' }));
    type('inputs[0].name', 'topic');

    fireEvent.click(screen.getByTestId('add-agent'));
    expect(node('agent_1')).toHaveAttribute('data-selected', 'true');
    const form = screen.getByTestId('step-form');
    fireEvent.change(within(form).getByTestId('agent-search'), { target: { value: 'sql' } });
    fireEvent.click(await within(form).findByRole('button', { name: /SQL Explainer/ }));
    expect(searches).toEqual(['sql']);
    expect(within(form).getByTestId('picked-agent')).toHaveTextContent('agora-demo/sql-explainer');
    expect(within(form).getByTestId('agent-version')).toHaveValue('2');
    expect(await within(form).findByRole('option', { name: /v1 \(deprecated\)/ })).toBeInTheDocument();
    // The pinned version's input fields.
    type('steps[0].agent.inputs.dialect', 'postgres');
    type('steps[0].agent.prompt', 'Explain ');
    fireEvent.click(within(form).getByRole('button', { name: '{{ inputs.topic }}' }));
    expect(control('steps[0].agent.prompt')).toHaveValue('Explain {{ inputs.topic }}');
    type('steps[0].id', 'draft');
    expect(node('draft')).toHaveTextContent('agora-demo/sql-explainer v2');

    fireEvent.click(screen.getByTestId('save-workflow'));
    await waitFor(() => expect(page.router.state.location.pathname).toBe('/studio/workflows/ada/digest'));
    expect(await screen.findByTestId('arrival-notice')).toHaveTextContent('Workflow created');
    expect(created).toEqual([
      {
        slug: 'digest',
        visibility: 'private',
        spec: {
          format: 'agora.workflow/v1',
          name: 'Digest',
          summary: 'Drafts, then polishes.',
          description: '',
          tags: [],
          inputs: [{ name: 'topic', label: '', type: 'text', required: true }],
          steps: [
            {
              id: 'draft',
              agent: { ref: 'agora-demo/sql-explainer', version: 2, prompt: 'Explain {{ inputs.topic }}', inputs: { dialect: 'postgres' } },
            },
          ],
          outputs: {},
        },
      },
    ]);
  });

  it('names the fields of a refused create, the address included', async () => {
    mockRoutes({
      ...signedIn,
      'POST /v1/workflows': () =>
        problemResponse(422, 'validation', 'Validation failed', '2 fields are invalid', [
          { field: 'slug', message: 'is taken' },
          { field: 'spec.steps', message: 'must hold 1 to 50 steps' },
        ]),
    });
    renderApp('/studio/workflows/new');
    await screen.findByTestId('workflow-editor', {}, SLOW);
    // No name, so no address to make from it: said before anything is sent.
    fireEvent.click(screen.getByTestId('save-workflow'));
    expect(await screen.findByTestId('field-error-slug')).toHaveTextContent('Use 3 to 48 lower-case letters');

    type('slug', 'my-flow');
    fireEvent.click(screen.getByTestId('save-workflow'));
    await waitFor(() => expect(screen.getByTestId('field-error-slug')).toHaveTextContent('is taken'));
    expect(screen.getByTestId('validation-errors')).toHaveTextContent('must hold 1 to 50 steps');
  });

  it('runs the saved draft: a 422 lands on its input, a 402 says what is needed and available, then the run opens', async () => {
    const bodies: unknown[] = [];
    let attempt = 0;
    const finished = runBody({ status: 'succeeded', finished_at: '2026-03-01T10:00:05Z' });
    mockRoutes({
      ...signedIn,
      'GET /v1/workflows/ada/digest': () => jsonResponse(workflowViewBody()),
      'POST /v1/workflows/ada/digest/runs': async (request) => {
        bodies.push(await request.json());
        attempt++;
        if (attempt === 1) {
          return problemResponse(422, 'validation', 'Validation failed', '1 field is invalid', [
            { field: 'inputs.topic', message: 'is longer than 10 characters' },
          ]);
        }
        if (attempt === 2) {
          return problemResponse(
            402,
            'insufficient-credits',
            'Insufficient credits',
            'This run may cost up to 1.2 credits, and you have 0.5 available. Add credits, or lower max_tokens to shrink the worst case.',
          );
        }
        return jsonResponse(finished, 202);
      },
      [`GET /v1/workflow-runs/${RUN}`]: () => jsonResponse(finished),
      'GET /v1/workflow-runs': () => jsonResponse({ runs: [], next_before: null }),
      'GET /v1/me/credits': () => jsonResponse({ balance: '0.5', held: '0', available: '0.5', spent_today: '0', spent_this_month: '0', limits: { daily: null, monthly: null } }),
    });
    const page = renderApp('/studio/workflows/ada/digest');
    await screen.findByTestId('workflow-editor', {}, SLOW);
    fireEvent.click(screen.getByTestId('run-workflow'));
    const dialog = await screen.findByRole('dialog', { name: 'Run Digest' });
    fireEvent.change(within(dialog).getByLabelText('Topic (required)'), { target: { value: 'the tides of the northern seas' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Start the run' }));
    expect(await within(dialog).findByTestId('field-error-inputs.topic')).toHaveTextContent('is longer than 10 characters');
    expect(within(dialog).getByTestId('run-error')).toHaveTextContent('Check the highlighted inputs.');

    fireEvent.change(within(dialog).getByLabelText('Topic (required)'), { target: { value: 'tides' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Start the run' }));
    const error = await within(dialog).findByTestId('credits-needed');
    expect(error).toHaveTextContent('It may cost up to 1.2 credits (its worst case), and you have 0.5 available.');
    expect(within(dialog).getByTestId('add-credits')).toHaveAttribute('href', '/account/billing');

    fireEvent.click(within(dialog).getByRole('button', { name: 'Start the run' }));
    await waitFor(() => expect(page.router.state.location.pathname).toBe(`/workflow-runs/${RUN}`));
    expect(bodies).toEqual([
      { version: 'draft', inputs: { topic: 'the tides of the northern seas' } },
      { version: 'draft', inputs: { topic: 'tides' } },
      { version: 'draft', inputs: { topic: 'tides' } },
    ]);
    expect(await screen.findByTestId('run-status', {}, SLOW)).toHaveTextContent('Succeeded');
  });

  it('saves a changed draft before publishing it with the changelog', async () => {
    const calls: string[] = [];
    mockRoutes({
      ...signedIn,
      'GET /v1/workflows/ada/digest': () => jsonResponse(workflowViewBody()),
      'PATCH /v1/workflows/ada/digest': async (request) => {
        const body = (await request.json()) as { spec: { summary: string }; visibility: string };
        calls.push(`patch ${body.spec.summary} ${body.visibility}`);
        return jsonResponse(workflowViewBody({ spec: workflowSpecBody({ summary: body.spec.summary }), visibility: body.visibility }));
      },
      'POST /v1/workflows/ada/digest/versions': async (request) => {
        calls.push(`publish ${JSON.stringify(await request.json())}`);
        return jsonResponse(workflowViewBody({ status: 'published', latest_version: 1, visibility: 'public' }), 201);
      },
    });
    renderApp('/studio/workflows/ada/digest');
    await screen.findByTestId('workflow-editor', {}, SLOW);
    type('summary', 'Drafts and polishes.');
    fireEvent.change(control('visibility'), { target: { value: 'public' } });
    type('changelog', 'First version');
    fireEvent.click(screen.getByTestId('publish-workflow'));
    expect(await screen.findByTestId('editor-saved')).toHaveTextContent('Published version 1.');
    expect(calls).toEqual(['patch Drafts and polishes. public', 'publish {"changelog":"First version"}']);
    expect(await screen.findByTestId('workflow-status')).toHaveTextContent('Published');
  });
});
