import { infiniteQueryOptions } from '@tanstack/react-query';

/** A page of a list the API pages newest first: `next_before` asks for the page after it. */
export interface PageBefore {
  next_before?: string | null;
}

/**
 * The query options of such a list, page after page ("Load more"): the first page asks
 * for `limit` items, each next one for those before the last page's `next_before`, until
 * a page has none.
 */
export function pagesBefore<TKey extends readonly unknown[], TPage extends PageBefore>(
  queryKey: TKey,
  listPage: (query: { before?: string; limit: number }, signal: AbortSignal) => Promise<TPage>,
  limit: number,
) {
  return infiniteQueryOptions({
    queryKey,
    queryFn: ({ signal, pageParam }) => listPage(pageParam ? { before: pageParam, limit } : { limit }, signal),
    initialPageParam: '',
    getNextPageParam: (last: TPage) => last.next_before ?? undefined,
  });
}
