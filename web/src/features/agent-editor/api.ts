import { send } from '../../api/call';
import { api, type Schemas } from '../../api/client';
import { ApiError } from '../../api/problem';
import type { AgentSpec, AgentView, VersionView } from '../catalog/api';

/**
 * Writing the caller's agents: create a draft, save it, publish it, roll back, deprecate a
 * version, import a file. 422 errors name the failing field by its path.
 */

export type CreateAgentRequest = Schemas['CreateAgentRequest'];
export type UpdateAgentRequest = Schemas['UpdateAgentRequest'];

/** POST /v1/agents: a new draft. 422 errors name `definition.<path>` (and `slug`). */
export function createAgent(request: CreateAgentRequest): Promise<AgentView> {
  return send(api.POST('/v1/agents', { body: request }));
}

/** PATCH /v1/agents/{handle}/{slug}: the draft and/or the visibility. 422 errors name `draft.<path>`. */
export function updateAgent(handle: string, slug: string, request: UpdateAgentRequest): Promise<AgentView> {
  return send(api.PATCH('/v1/agents/{handle}/{slug}', { params: { path: { handle, slug } }, body: request }));
}

/** POST .../versions: publishes the saved draft. 422 errors name `draft.<path>` (or `changelog`). */
export function publishAgent(handle: string, slug: string, changelog: string): Promise<VersionView> {
  return send(
    api.POST('/v1/agents/{handle}/{slug}/versions', { params: { path: { handle, slug } }, body: { changelog } }),
  );
}

/** PUT .../latest: roll back (or forward) to another published version. */
export function setLatestVersion(handle: string, slug: string, version: number): Promise<AgentView> {
  return send(api.PUT('/v1/agents/{handle}/{slug}/latest', { params: { path: { handle, slug } }, body: { version } }));
}

/** PATCH .../versions/{n}: deprecates a version (it cannot be undone). */
export function deprecateVersion(handle: string, slug: string, version: number, note: string): Promise<VersionView> {
  return send(
    api.PATCH('/v1/agents/{handle}/{slug}/versions/{version}', {
      params: { path: { handle, slug, version } },
      body: { deprecated: true, deprecation_note: note },
    }),
  );
}

/**
 * POST /v1/agents/import with the text of an exported file: a new private draft. The text is
 * checked to be a JSON object here; the server checks the rest and names each bad field.
 */
export function importAgent(text: string, slug?: string): Promise<AgentView> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return Promise.reject(new ApiError('This file is not JSON: choose an agent file exported from Agora.', { status: 0 }));
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return Promise.reject(new ApiError('This file is not an agent definition (a JSON object).', { status: 0 }));
  }
  return send(
    api.POST('/v1/agents/import', {
      params: { query: slug ? { slug } : {} },
      // The server validates the document and reports every bad field by its path.
      body: document as AgentSpec,
    }),
  );
}
