import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { MutationHandlers } from '../../api/mutationHandlers';
import { useSession } from '../../session/useSession';
import { catalogKeys, type AgentSpec, type AgentView, type VersionView, type Visibility } from '../catalog/api';
import { createAgent, deprecateVersion, importAgent, publishAgent, setLatestVersion, updateAgent } from './api';

/** Writing the caller's agents as hooks: save and publish, import, roll back, deprecate. */

/** What "Save draft" or "Publish" sends: the form's definition, and whether the draft changed since it was saved. */
export type AgentSave = ({ kind: 'save' } | { kind: 'publish'; changelog: string }) & {
  definition: AgentSpec;
  visibility: Visibility;
  /** The address asked for a new agent; empty for the one made from its name. */
  slug: string;
  draftChanged: boolean;
};

export interface SavedAgent {
  view: AgentView;
  /** The version just published, if it was "Publish". */
  published?: number;
}

/** Listings, agent pages and the caller's lists all show what changed. */
function useReadAgentsAgain() {
  const queryClient = useQueryClient();
  return async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: ['account'] }),
      queryClient.invalidateQueries({ queryKey: catalogKeys.all }),
    ]);
  };
}

/** What the editor does as a save goes through. */
export interface SaveAgentHandlers {
  /** The draft of an existing agent was saved, as the server keeps it (Publish may still fail after). */
  onDraftSaved?: (view: AgentView) => void;
  /** An existing agent, before everything about agents is read again. */
  onSaved?: (result: SavedAgent) => void;
  /** A new agent, once it is cached and everything about agents has been read again. */
  onCreated?: (view: AgentView) => void;
  onError?: (error: Error) => void;
}

/**
 * "Save draft" and "Publish" for `view` (null: a new agent, created as a draft). An existing
 * agent's draft is saved first when it changed, and "Publish" then publishes it.
 */
export function useSaveAgent(view: AgentView | null, { onDraftSaved, onSaved, onCreated, onError }: SaveAgentHandlers = {}) {
  const queryClient = useQueryClient();
  const { userId } = useSession();
  const readAgain = useReadAgentsAgain();
  return useMutation({
    mutationFn: async (save: AgentSave): Promise<SavedAgent> => {
      const { definition, visibility } = save;
      if (!view) {
        const created = await createAgent({ definition, visibility, ...(save.slug ? { slug: save.slug } : {}) });
        return { view: created };
      }
      const { handle, slug } = view.agent;
      let current = view;
      if (save.draftChanged || visibility !== view.agent.visibility) {
        current = await updateAgent(handle, slug, { definition, visibility });
        onDraftSaved?.(current);
      }
      if (save.kind === 'publish') {
        const version = await publishAgent(handle, slug, save.changelog.trim());
        return { view: current, published: version.version };
      }
      return { view: current };
    },
    onSuccess: async (saved) => {
      if (!view) {
        queryClient.setQueryData(catalogKeys.agent(userId, saved.view.agent.handle, saved.view.agent.slug), saved.view);
        await readAgain();
        onCreated?.(saved.view);
        return;
      }
      onSaved?.(saved);
      await readAgain();
    },
    onError,
  });
}

/** POST /v1/agents/import: the caller's agents are read again, then `onSuccess` gets the new draft. */
export function useImportAgent({ onSuccess }: MutationHandlers<AgentView> = {}) {
  const queryClient = useQueryClient();
  const { userId } = useSession();
  return useMutation({
    mutationFn: (request: { text: string; slug?: string }) => importAgent(request.text, request.slug),
    onSuccess: async (view) => {
      if (userId) await queryClient.invalidateQueries({ queryKey: catalogKeys.myAgents(userId) });
      await onSuccess?.(view);
    },
  });
}

/** PUT .../latest: `onSuccess`, then everything about agents is read again. */
export function useSetLatestVersion(handle: string, slug: string, { onSuccess }: MutationHandlers<AgentView> = {}) {
  const readAgain = useReadAgentsAgain();
  return useMutation({
    mutationFn: (version: number) => setLatestVersion(handle, slug, version),
    onSuccess: async (view) => {
      onSuccess?.(view);
      await readAgain();
    },
  });
}

/** PATCH .../versions/{n} (deprecated, with a note): `onSuccess`, then everything about agents is read again. */
export function useDeprecateVersion(handle: string, slug: string, version: number, { onSuccess }: MutationHandlers<VersionView> = {}) {
  const readAgain = useReadAgentsAgain();
  return useMutation({
    mutationFn: (note: string) => deprecateVersion(handle, slug, version, note),
    onSuccess: async (deprecated) => {
      onSuccess?.(deprecated);
      await readAgain();
    },
  });
}
