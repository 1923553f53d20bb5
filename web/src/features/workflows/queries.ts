import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { MutationHandlers } from '../../api/mutationHandlers';
import { useSession } from '../../session/useSession';
import {
  cancelWorkflowRun,
  createWorkflow,
  forkWorkflow,
  myWorkflowsQuery,
  publishWorkflow,
  savedWorkflowsQuery,
  saveWorkflow,
  startWorkflowRun,
  unsaveWorkflow,
  updateWorkflow,
  validateWorkflow,
  workflowKeys,
  workflowQuery,
  workflowRunsQuery,
  workflowSearchQuery,
  workflowVersionsQuery,
  type RunVersion,
  type SavedWorkflow,
  type WorkflowEstimate,
  type WorkflowRunRecord,
  type WorkflowSpec,
  type WorkflowView,
} from './api';
import type { Visibility } from '../catalog/api';

/**
 * Workflows' server state as hooks: listings, one workflow and its versions, the caller's
 * workflows and library, the editor's validate and save, runs (start, list, cancel). What
 * depends on who asks is read as the signed-in user. A run followed live has its own hook
 * (runs/useLiveWorkflowRun.ts), which reads the event stream.
 */

/** Published workflows matching `q`, page after page. */
export function useWorkflowSearch(q: string) {
  const { userId } = useSession();
  return useInfiniteQuery(workflowSearchQuery(userId, q));
}

/** The signed-in user's workflows, drafts included. */
export function useMyWorkflows() {
  const { userId } = useSession();
  return useQuery({ ...myWorkflowsQuery(userId ?? ''), enabled: userId !== null });
}

/** One workflow as the signed-in user sees it (the draft and `is_owner` for its owner). */
export function useWorkflow(handle: string, slug: string) {
  const { userId } = useSession();
  return useQuery(workflowQuery(userId, handle, slug));
}

/** A workflow's published versions; idle until it has one. */
export function useWorkflowVersions(workflow: WorkflowView) {
  const { userId } = useSession();
  return useQuery({
    ...workflowVersionsQuery(userId, workflow.owner_handle, workflow.slug),
    enabled: workflow.latest_version != null,
  });
}

/** The signed-in user's saved workflows. */
export function useSavedWorkflows() {
  const { userId } = useSession();
  return useQuery({ ...savedWorkflowsQuery(userId ?? ''), enabled: userId !== null });
}

/** Updates the cached library of workflows after a save or an unsave. */
export function useSavedWorkflowMutations(userId: string, handle: string, slug: string) {
  const queryClient = useQueryClient();
  const address = `${handle}/${slug}`;
  const key = workflowKeys.saved(userId);
  const refresh = async () => {
    // Counters (save_count) changed: the workflow page and the listings read them again.
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: key }),
      queryClient.invalidateQueries({ queryKey: workflowKeys.workflows }),
      queryClient.invalidateQueries({ queryKey: workflowKeys.lists }),
      queryClient.invalidateQueries({ queryKey: workflowKeys.mine(userId) }),
    ]);
  };
  const save = useMutation({
    mutationFn: () => saveWorkflow(handle, slug),
    onSuccess: async (entry) => {
      // A new save goes first (most recently saved first); saving it again changes nothing.
      queryClient.setQueryData<SavedWorkflow[]>(key, (list) => {
        if (!list) return list;
        return list.some((saved) => saved.workflow.address === address)
          ? list.map((saved) => (saved.workflow.address === address ? entry : saved))
          : [entry, ...list];
      });
      await refresh();
    },
    // The library may have changed elsewhere (another tab): show it as it is.
    onError: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
  const unsave = useMutation({
    mutationFn: () => unsaveWorkflow(handle, slug),
    onSuccess: async () => {
      queryClient.setQueryData<SavedWorkflow[]>(key, (list) =>
        list?.filter((saved) => saved.workflow.address !== address),
      );
      await refresh();
    },
    onError: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
  return { save, unsave };
}

/** POST .../fork: the caller's workflows are read again, then `onSuccess` gets the fork. */
export function useForkWorkflow(workflow: WorkflowView, { onSuccess }: MutationHandlers<WorkflowView> = {}) {
  const queryClient = useQueryClient();
  const { userId } = useSession();
  return useMutation({
    mutationFn: () => forkWorkflow(workflow.owner_handle, workflow.slug),
    onSuccess: async (forked) => {
      if (userId) await queryClient.invalidateQueries({ queryKey: workflowKeys.mine(userId) });
      await onSuccess?.(forked);
    },
  });
}

/** POST /v1/workflows/validate: the worst-case cost, or a 422 with every problem at its path. */
export function useValidateWorkflow(handlers: MutationHandlers<WorkflowEstimate> & { onMutate?: () => void } = {}) {
  return useMutation({ mutationFn: (spec: WorkflowSpec) => validateWorkflow(spec), ...handlers });
}

/** What Save, Publish and Run send from the editor. */
export interface WorkflowSave {
  action: 'save' | 'publish' | 'run';
  spec: WorkflowSpec;
  visibility: Visibility;
  /** The address of a new workflow. */
  slug: string;
  changelog: string;
  draftChanged: boolean;
}

export interface SavedWorkflowDraft {
  saved: WorkflowView;
  created: boolean;
  action: WorkflowSave['action'];
}

/** What the editor does as a save goes through. */
export interface SaveWorkflowHandlers {
  onMutate?: () => void;
  /** The draft of an existing workflow was saved (Publish may still fail after). */
  onDraftSaved?: () => void;
  /** The answer is cached; the lists are read again next. */
  onSaved?: (result: SavedWorkflowDraft) => void;
  /** A new workflow, once the lists have been read again. */
  onCreated?: (saved: WorkflowView) => void;
  onError?: (error: Error) => void;
}

/**
 * Save, Publish and Run for `view` (null: a new workflow, created as a draft). An existing
 * workflow's draft is saved first when it changed; "publish" then publishes it.
 */
export function useSaveWorkflow(view: WorkflowView | null, { onMutate, onDraftSaved, onSaved, onCreated, onError }: SaveWorkflowHandlers = {}) {
  const queryClient = useQueryClient();
  const { userId } = useSession();
  const readListsAgain = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: workflowKeys.lists }),
      userId ? queryClient.invalidateQueries({ queryKey: workflowKeys.mine(userId) }) : undefined,
    ]);
  };
  return useMutation({
    mutationFn: async ({ action, spec, visibility, slug, changelog, draftChanged }: WorkflowSave): Promise<SavedWorkflowDraft> => {
      if (!view) {
        const saved = await createWorkflow({ slug, visibility, spec });
        return { saved, created: true, action };
      }
      let saved = view;
      if (draftChanged || visibility !== view.visibility) {
        saved = await updateWorkflow(view.owner_handle, view.slug, { spec, visibility });
        onDraftSaved?.();
      }
      if (action === 'publish') saved = await publishWorkflow(view.owner_handle, view.slug, changelog.trim());
      return { saved, created: false, action };
    },
    onMutate,
    onSuccess: async (result) => {
      const { saved, created } = result;
      queryClient.setQueryData(workflowKeys.workflow(userId, saved.owner_handle, saved.slug), saved);
      onSaved?.(result);
      await readListsAgain();
      if (created) onCreated?.(saved);
    },
    onError,
  });
}

/** POST .../runs: the caller's runs are read again, then `onSuccess` gets the run. */
export function useStartWorkflowRun(workflow: WorkflowView, version: RunVersion, { onSuccess }: MutationHandlers<WorkflowRunRecord> = {}) {
  const queryClient = useQueryClient();
  const { userId } = useSession();
  return useMutation({
    mutationFn: (inputs: Record<string, unknown>) => startWorkflowRun(workflow.owner_handle, workflow.slug, version, inputs),
    onSuccess: async (run) => {
      if (userId) await queryClient.invalidateQueries({ queryKey: workflowKeys.runs(userId) });
      await onSuccess?.(run);
    },
  });
}

/** The signed-in user's workflow runs, newest first, page after page. */
export function useWorkflowRuns() {
  const { userId } = useSession();
  return useInfiniteQuery({ ...workflowRunsQuery(userId ?? ''), enabled: userId !== null });
}

/** POST .../cancel: the cached run takes the answer. */
export function useCancelWorkflowRun(id: string) {
  const queryClient = useQueryClient();
  const { userId } = useSession();
  return useMutation({
    mutationFn: () => cancelWorkflowRun(id),
    onSuccess: (record) => {
      if (userId) queryClient.setQueryData(workflowKeys.run(userId, id), record);
    },
  });
}
