import { queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type UpdateMeRequest, type User } from '../../api/client';

/**
 * The signed-in user's own account: GET/PATCH /v1/me. The bearer token and the
 * refresh-on-401 come from the `api` client's middleware (session.ts).
 */

/**
 * Query keys, scoped by user id so one account's data can never show for another, and all
 * under `account` so signing out can drop them in one call.
 */
export const accountKeys = {
  all: ['account'] as const,
  me: (userId: string) => ['account', userId, 'me'] as const,
};

export function fetchMe(signal?: AbortSignal): Promise<User> {
  return send(api.GET('/v1/me', { signal }), signal);
}

/** PATCH /v1/me. Changing the password signs out every session, this one included. */
export function updateMe(changes: UpdateMeRequest): Promise<User> {
  return send(api.PATCH('/v1/me', { body: changes }));
}

export const meQuery = (userId: string) =>
  queryOptions({
    queryKey: accountKeys.me(userId),
    queryFn: ({ signal }) => fetchMe(signal),
    staleTime: 60_000,
  });
