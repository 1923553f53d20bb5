/**
 * What a component adds to a feature's mutation hook: its own reaction to the answer
 * (clear a form, move the focus, open another page). Each hook says when it calls them
 * relative to the cache updates it makes itself; a promise returned is awaited, as
 * TanStack Query awaits its own callbacks.
 */
export interface MutationHandlers<TData> {
  onSuccess?: (data: TData) => unknown;
  onError?: (error: Error) => unknown;
}
