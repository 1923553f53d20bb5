import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

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

export type Schemas = components['schemas'];
export type HealthReport = Schemas['HealthReport'];
export type DependencyCheck = Schemas['DependencyCheck'];
export type DependencyStatus = Schemas['DependencyStatus'];
export type Problem = Schemas['Problem'];
export type FieldError = Schemas['FieldError'];
