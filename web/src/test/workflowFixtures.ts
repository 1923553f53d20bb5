/** Workflow wire data as the API sends it, for the workflow tests. */
import { USER_ID } from './fixtures';

export const RUN = '01a229a8-900f-74e9-ab54-108f4c7a5000';

/** Two agent steps on a demo agent (`draft` → `polish`), an input and an output. */
export function workflowSpecBody(overrides: Record<string, unknown> = {}) {
  return {
    format: 'agora.workflow/v1',
    name: 'Digest',
    summary: 'Drafts, then polishes.',
    description: '',
    tags: ['writing'],
    inputs: [{ name: 'topic', label: 'Topic', type: 'text', required: true }],
    steps: [
      { id: 'draft', agent: { ref: 'agora-demo/sql-explainer', version: 1, prompt: 'Write about {{ inputs.topic }}', inputs: {} } },
      { id: 'polish', agent: { ref: 'agora-demo/sql-explainer', version: 1, prompt: 'Polish {{ steps.draft.output }}', inputs: {} } },
    ],
    outputs: { answer: '{{ steps.polish.output }}' },
    ...overrides,
  };
}

export function workflowViewBody(overrides: Record<string, unknown> = {}) {
  return {
    address: 'ada/digest',
    owner_handle: 'ada',
    slug: 'digest',
    visibility: 'private',
    status: 'draft',
    latest_version: null,
    spec: workflowSpecBody(),
    agents: [{ agent: 'agora-demo/sql-explainer', version: 1, name: 'SQL Explainer', price_per_run: '0' }],
    forked_from: null,
    fork_count: 0,
    run_count: 0,
    save_count: 0,
    is_owner: true,
    updated_at: '2026-03-01T10:00:00Z',
    ...overrides,
  };
}

/** A SavedWorkflow: the workflow as the library lists it (without its agents), and when it was saved. */
export function savedWorkflowBody(overrides: Record<string, unknown> = {}, savedAt = '2026-03-03T10:00:00Z') {
  return { workflow: workflowViewBody({ agents: [], ...overrides }), saved_at: savedAt };
}

export function stepRecordBody(stepId: string, overrides: Record<string, unknown> = {}) {
  return {
    step_id: stepId,
    kind: 'agent',
    status: 'pending',
    attempts: 0,
    output: null,
    error: null,
    input_tokens: 0,
    output_tokens: 0,
    charged_micros: 0,
    creator_share_micros: 0,
    run_ids: [],
    started_at: null,
    finished_at: null,
    ...overrides,
  };
}

export function runBody(overrides: Record<string, unknown> = {}) {
  return {
    id: RUN,
    user_id: USER_ID,
    workflow: 'ada/digest',
    workflow_id: '0196f5a2-0000-7000-8000-00000000b001',
    workflow_version: null,
    status: 'running',
    spec: workflowSpecBody(),
    inputs: { topic: 'tides' },
    outputs: null,
    error: null,
    worst_case_micros: 420_000,
    hold_micros: 210_000,
    steps: [
      stepRecordBody('draft', {
        status: 'succeeded',
        attempts: 1,
        output: 'A **draft** about tides',
        input_tokens: 12,
        output_tokens: 30,
        charged_micros: 50_010,
        creator_share_micros: 50_000,
        run_ids: ['run-1'],
        started_at: '2026-03-01T10:00:00Z',
        finished_at: '2026-03-01T10:00:01.500Z',
      }),
      stepRecordBody('polish', { status: 'running', attempts: 1, started_at: '2026-03-01T10:00:02Z' }),
    ],
    created_at: '2026-03-01T10:00:00Z',
    finished_at: null,
    ...overrides,
  };
}

export const estimateBody = {
  worst_case: '0.102048',
  steps: [
    { step: 'draft', worst_case: '0.051024', creators_share: '0.05' },
    { step: 'polish', worst_case: '0.051024', creators_share: '0.05' },
  ],
  agents: [{ agent: 'agora-demo/sql-explainer', version: 1, name: 'SQL Explainer', price_per_run: '0.05' }],
  order: ['draft', 'polish'],
};
