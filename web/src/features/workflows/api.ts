import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type Schemas } from '../../api/client';
import { pagesBefore } from '../../api/pages';
import { isEventStream, openEventStream, parseJson } from '../../api/eventStream';
import { ApiError } from '../../api/problem';
import { readEventStream } from '../../api/sse';

/**
 * Workflows (`agora.workflow/v1` DAGs of pinned agents and small transforms): listing,
 * one workflow, the caller's drafts (create, edit, validate, publish, fork), the caller's
 * library of saved workflows, and runs (start, read, cancel, follow). JSON calls go through the typed `api` client; a run's
 * event stream is read from `fetch`'s body with the session's token (session.ts).
 */

export type WorkflowSpec = Schemas['WorkflowSpec'];
export type WorkflowStep = Schemas['Step'];
export type AgentCall = Schemas['AgentCall'];
export type WorkflowInput = Schemas['WorkflowInput'];
export type WorkflowInputType = Schemas['InputType'];
export type ConditionOperator = Schemas['Operator'];
export type WorkflowView = Schemas['WorkflowView'];
export type WorkflowEstimate = Schemas['WorkflowEstimate'];
export type StepEstimate = Schemas['StepEstimate'];
export type AgentUse = Schemas['AgentUse'];
export type WorkflowVersionRecord = Schemas['WorkflowVersionRecord'];
export type WorkflowRunRecord = Schemas['WorkflowRunRecord'];
export type WorkflowRunList = Schemas['WorkflowRunList'];
export type WorkflowRunStatus = Schemas['WorkflowRunStatus'];
export type StepRecord = Schemas['StepRecord'];
export type StepStatus = Schemas['StepStatus'];
export type CreateWorkflowRequest = Schemas['CreateWorkflowRequest'];
export type UpdateWorkflowRequest = Schemas['UpdateWorkflowRequest'];
export type StartWorkflowRunRequest = Schemas['StartWorkflowRunRequest'];
export type SavedWorkflow = Schemas['SavedWorkflow'];

/** The `version` of a run: a published version, `"latest"` or the owner's `"draft"`. */
export type RunVersion = number | 'latest' | 'draft';

/** What a run's inputs may hold, by name (the server checks them against the definition). */
export type WorkflowInputValues = Record<string, unknown>;

/**
 * Query keys. What depends on who asks (a workflow's draft and `is_owner`) carries the
 * viewer's id; the caller's own lists and runs sit under `account`, so signing out drops them.
 */
export const workflowKeys = {
  all: ['workflows'] as const,
  lists: ['workflows', 'list'] as const,
  /** Every cached single workflow, whoever the viewer. */
  workflows: ['workflows', 'one'] as const,
  list: (viewer: string | null, q: string) => ['workflows', 'list', viewer ?? 'anonymous', q] as const,
  workflow: (viewer: string | null, handle: string, slug: string) =>
    ['workflows', 'one', viewer ?? 'anonymous', handle, slug] as const,
  versions: (viewer: string | null, handle: string, slug: string) =>
    ['workflows', 'versions', viewer ?? 'anonymous', handle, slug] as const,
  mine: (userId: string) => ['account', userId, 'workflows'] as const,
  saved: (userId: string) => ['account', userId, 'saved-workflows'] as const,
  runs: (userId: string) => ['account', userId, 'workflow-runs'] as const,
  run: (userId: string, id: string) => ['account', userId, 'workflow-run', id] as const,
};

// ---- paths ----------------------------------------------------------------------------

function addressPath(prefix: string, address: string): string {
  const [handle = '', slug = ''] = address.split('/');
  return `${prefix}/${encodeURIComponent(handle)}/${encodeURIComponent(slug)}`;
}

/** The UI path of a workflow's page. */
export function workflowPath(address: string): string {
  return addressPath('/workflows', address);
}

/** The UI path of the editor of one of the caller's workflows. */
export function workflowEditorPath(address: string): string {
  return addressPath('/studio/workflows', address);
}

/** The UI path of a run. */
export function workflowRunPath(id: string): string {
  return `/workflow-runs/${encodeURIComponent(id)}`;
}

// ---- workflows ------------------------------------------------------------------------

export type WorkflowListQuery = { q?: string; mine?: boolean; limit?: number; offset?: number };

export async function listWorkflows(query: WorkflowListQuery, signal?: AbortSignal): Promise<WorkflowView[]> {
  const list = await send(api.GET('/v1/workflows', { params: { query }, signal }), signal);
  return list.workflows;
}

export const WORKFLOW_PAGE = 20;

/** Published workflows matching `q`, page after page ("Load more" while a page is full). */
export const workflowSearchQuery = (viewer: string | null, q: string) =>
  infiniteQueryOptions({
    queryKey: workflowKeys.list(viewer, q),
    queryFn: ({ signal, pageParam }) =>
      listWorkflows({ ...(q ? { q } : {}), limit: WORKFLOW_PAGE, offset: pageParam }, signal),
    initialPageParam: 0,
    getNextPageParam: (last: WorkflowView[], pages) =>
      last.length < WORKFLOW_PAGE ? undefined : pages.length * WORKFLOW_PAGE,
    staleTime: 15_000,
  });

/** The caller's workflows, drafts included (at most 100). */
export const myWorkflowsQuery = (userId: string) =>
  queryOptions({
    queryKey: workflowKeys.mine(userId),
    queryFn: ({ signal }) => listWorkflows({ mine: true, limit: 100 }, signal),
  });

export function getWorkflow(handle: string, slug: string, signal?: AbortSignal): Promise<WorkflowView> {
  return send(api.GET('/v1/workflows/{handle}/{slug}', { params: { path: { handle, slug } }, signal }), signal);
}

export const workflowQuery = (viewer: string | null, handle: string, slug: string) =>
  queryOptions({
    queryKey: workflowKeys.workflow(viewer, handle, slug),
    queryFn: ({ signal }) => getWorkflow(handle, slug, signal),
  });

export async function listWorkflowVersions(
  handle: string,
  slug: string,
  signal?: AbortSignal,
): Promise<WorkflowVersionRecord[]> {
  const list = await send(
    api.GET('/v1/workflows/{handle}/{slug}/versions', { params: { path: { handle, slug } }, signal }),
    signal,
  );
  return list.versions;
}

export const workflowVersionsQuery = (viewer: string | null, handle: string, slug: string) =>
  queryOptions({
    queryKey: workflowKeys.versions(viewer, handle, slug),
    queryFn: ({ signal }) => listWorkflowVersions(handle, slug, signal),
  });

/** POST /v1/workflows: a new draft. 422 errors name `spec.<path>` or `<path>` (and `slug`). */
export function createWorkflow(request: CreateWorkflowRequest): Promise<WorkflowView> {
  return send(api.POST('/v1/workflows', { body: request }));
}

/** PATCH /v1/workflows/{handle}/{slug}: the draft and/or the visibility. */
export function updateWorkflow(handle: string, slug: string, request: UpdateWorkflowRequest): Promise<WorkflowView> {
  return send(api.PATCH('/v1/workflows/{handle}/{slug}', { params: { path: { handle, slug } }, body: request }));
}

/** POST /v1/workflows/validate: the worst-case cost, or a 422 with every problem at its path. */
export function validateWorkflow(spec: WorkflowSpec): Promise<WorkflowEstimate> {
  return send(api.POST('/v1/workflows/validate', { body: { spec } }));
}

/** POST .../versions: publishes the saved draft as the next version. */
export function publishWorkflow(handle: string, slug: string, changelog: string): Promise<WorkflowView> {
  return send(
    api.POST('/v1/workflows/{handle}/{slug}/versions', { params: { path: { handle, slug } }, body: { changelog } }),
  );
}

/** POST .../fork: a private draft of the caller's, copied from what they can see. */
export function forkWorkflow(handle: string, slug: string, newSlug?: string): Promise<WorkflowView> {
  return send(
    api.POST('/v1/workflows/{handle}/{slug}/fork', {
      params: { path: { handle, slug } },
      body: newSlug ? { slug: newSlug } : {},
    }),
  );
}

// ---- saved workflows ------------------------------------------------------------------

/** The most the library lists at once (the API's largest page). */
export const SAVED_WORKFLOWS_LIMIT = 100;

/** GET /v1/me/saved-workflows: the caller's library, most recently saved first. */
export async function listSavedWorkflows(signal?: AbortSignal): Promise<SavedWorkflow[]> {
  const list = await send(
    api.GET('/v1/me/saved-workflows', { params: { query: { limit: SAVED_WORKFLOWS_LIMIT } }, signal }),
    signal,
  );
  return list.saved;
}

/** The caller's saved workflows (at most 100), most recently saved first. */
export const savedWorkflowsQuery = (userId: string) =>
  queryOptions({
    queryKey: workflowKeys.saved(userId),
    queryFn: ({ signal }) => listSavedWorkflows(signal),
  });

/** PUT /v1/me/saved-workflows/{handle}/{slug}: adds it to the library; saving it again changes nothing. */
export function saveWorkflow(handle: string, slug: string): Promise<SavedWorkflow> {
  return send(api.PUT('/v1/me/saved-workflows/{handle}/{slug}', { params: { path: { handle, slug } } }));
}

/** DELETE /v1/me/saved-workflows/{handle}/{slug}: 404 when it is not in the library. */
export async function unsaveWorkflow(handle: string, slug: string): Promise<void> {
  await send(api.DELETE('/v1/me/saved-workflows/{handle}/{slug}', { params: { path: { handle, slug } } }));
}

// ---- runs -----------------------------------------------------------------------------

/** POST .../runs: 202 with the run; 402 when the balance cannot cover the worst case; 422 names `inputs.<name>`. */
export function startWorkflowRun(
  handle: string,
  slug: string,
  version: RunVersion,
  inputs: WorkflowInputValues,
): Promise<WorkflowRunRecord> {
  const body: StartWorkflowRunRequest = {
    version,
    // The inputs are free-form JSON values; the server checks each against its declared type.
    inputs: inputs as StartWorkflowRunRequest['inputs'],
  };
  return send(api.POST('/v1/workflows/{handle}/{slug}/runs', { params: { path: { handle, slug } }, body }));
}

export function listWorkflowRuns(
  query: { before?: string; limit?: number },
  signal?: AbortSignal,
): Promise<WorkflowRunList> {
  return send(api.GET('/v1/workflow-runs', { params: { query }, signal }), signal);
}

/** The caller's workflow runs, newest first, page after page. */
export const workflowRunsQuery = (userId: string, pageSize = 20) =>
  pagesBefore([...workflowKeys.runs(userId), 'pages', pageSize] as const, listWorkflowRuns, pageSize);

export function getWorkflowRun(id: string, signal?: AbortSignal): Promise<WorkflowRunRecord> {
  return send(api.GET('/v1/workflow-runs/{id}', { params: { path: { id } }, signal }), signal);
}

export const workflowRunQuery = (userId: string, id: string) =>
  queryOptions({
    queryKey: workflowKeys.run(userId, id),
    queryFn: ({ signal }) => getWorkflowRun(id, signal),
  });

/** POST .../cancel: the steps not started are cancelled; answers the run. */
export function cancelWorkflowRun(id: string): Promise<WorkflowRunRecord> {
  return send(api.POST('/v1/workflow-runs/{id}/cancel', { params: { path: { id } } }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `value` has the shape of a WorkflowRunRecord (what a `run` event carries). */
export function isWorkflowRun(value: unknown): value is WorkflowRunRecord {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.workflow === 'string' &&
    typeof value.status === 'string' &&
    Array.isArray(value.steps) &&
    isRecord(value.spec)
  );
}

/**
 * GET /v1/workflow-runs/{id}/events: calls `onRun` with the run each time it changes.
 * Resolves true when the server said the run ended (`end`), false when the stream closed
 * before (the server closes streams after a few minutes: follow again). Rejects with an
 * ApiError when the stream could not be opened or broke; an abort rejects as is.
 */
export async function followWorkflowRun(
  id: string,
  onRun: (run: WorkflowRunRecord) => void,
  signal?: AbortSignal,
): Promise<boolean> {
  const build = () =>
    new Request(`/v1/workflow-runs/${encodeURIComponent(id)}/events`, {
      headers: { Accept: 'text/event-stream' },
      ...(signal ? { signal } : {}),
    });
  const response = await openEventStream(build, signal);
  if (!isEventStream(response)) {
    throw new ApiError('The server did not answer with an event stream.', { status: response.status });
  }
  try {
    for await (const event of readEventStream(response.body)) {
      if (event.event === 'end') return true;
      if (event.event !== 'run') continue;
      const data = parseJson(event.data);
      if (isWorkflowRun(data)) onRun(data);
    }
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new ApiError('The connection to the run’s updates was lost.', { status: 0, cause });
  }
  return false;
}

// ---- problems -------------------------------------------------------------------------

/**
 * The amounts of a 402 ("This run may cost up to 1.2 credits, and you have 0.5 available"),
 * or null when the problem does not say them.
 */
export function insufficientCredits(error: unknown): { needed: string; available: string } | null {
  if (!(error instanceof ApiError) || error.status !== 402) return null;
  const detail = error.problem?.detail ?? '';
  const match = /cost up to ([\d.]+) credits?, and you have (-?[\d.]+) available/i.exec(detail);
  return match?.[1] && match[2] ? { needed: match[1], available: match[2] } : null;
}
