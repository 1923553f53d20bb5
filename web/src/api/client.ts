import createClient from 'openapi-fetch';
import type { components, paths } from './schema';
import { authMiddleware } from './session';

/**
 * The typed Agora API client. The types come from `schema.d.ts`, generated from
 * docs/openapi.json by `npm run gen:api`: never write API types by hand.
 *
 * The UI is served by the API server itself, so requests go to the same origin
 * (`/v1/...`); in development Vite proxies `/v1` to a local `agora serve`.
 */
export const api = createClient<paths>({
  baseUrl: '',
  // Look fetch up on every call rather than once at start-up, so tests can stub it.
  fetch: (request: Request) => globalThis.fetch(request),
});

// While signed in, every request carries the access token; a 401 refreshes it once and retries
// (see session.ts). Requests made while signed out, such as the status page's, go out as before.
api.use(authMiddleware);

export type Schemas = components['schemas'];
export type HealthReport = Schemas['HealthReport'];
export type DependencyCheck = Schemas['DependencyCheck'];
export type DependencyStatus = Schemas['DependencyStatus'];
export type Problem = Schemas['Problem'];
export type FieldError = Schemas['FieldError'];
export type User = Schemas['User'];
export type UpdateMeRequest = Schemas['UpdateMeRequest'];
export type ApiKey = Schemas['ApiKey'];
export type ApiKeyStatus = Schemas['ApiKeyStatus'];
export type ApiKeyList = Schemas['ApiKeyList'];
export type CreateApiKeyRequest = Schemas['CreateApiKeyRequest'];
export type CreatedApiKey = Schemas['CreatedApiKey'];
