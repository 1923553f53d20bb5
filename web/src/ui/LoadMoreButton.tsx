/** "Load more" under a list read page after page (a TanStack infinite query). */
export function LoadMoreButton({
  pages,
  testId,
}: {
  pages: { fetchNextPage: () => Promise<unknown>; isFetchingNextPage: boolean };
  testId?: string;
}) {
  return (
    <div className="load-more">
      <button
        type="button"
        className="button"
        onClick={() => void pages.fetchNextPage()}
        disabled={pages.isFetchingNextPage}
        data-testid={testId}
      >
        {pages.isFetchingNextPage ? 'Loading…' : 'Load more'}
      </button>
    </div>
  );
}
