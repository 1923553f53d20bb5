import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { MutationHandlers } from '../../api/mutationHandlers';
import { catalogKeys } from '../catalog/api';
import { putMyReview, replyToReview, reportReview, reviewKeys, reviewsQuery, type ReviewList, type ReviewRecord } from './api';

/** An agent's reviews as hooks: the list with the rating, the caller's review, replies and reports. */

export function useReviews(handle: string, slug: string) {
  return useQuery(reviewsQuery(handle, slug));
}

/** Reads an agent's reviews again (after a run, which may allow a review). */
export function useRefreshReviews() {
  const queryClient = useQueryClient();
  return (handle: string, slug: string) => queryClient.invalidateQueries({ queryKey: reviewKeys.reviews(handle, slug) });
}

/** Puts a changed review into the cached list (and its rating is read again). */
function useReviewCache(handle: string, slug: string) {
  const queryClient = useQueryClient();
  return async (review: ReviewRecord) => {
    const key = reviewKeys.reviews(handle, slug);
    queryClient.setQueryData<ReviewList>(key, (list) => {
      if (!list) return list;
      const known = list.reviews.some((item) => item.id === review.id);
      return {
        ...list,
        reviews: known ? list.reviews.map((item) => (item.id === review.id ? review : item)) : [review, ...list.reviews],
      };
    });
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: key }),
      // The rating orders the "top rated" listings.
      queryClient.invalidateQueries({ queryKey: catalogKeys.lists }),
    ]);
  };
}

/** PUT .../reviews/mine: `onSuccess` first, then the review joins the cached list. */
export function useSaveMyReview(handle: string, slug: string, { onSuccess, onError }: MutationHandlers<ReviewRecord> = {}) {
  const store = useReviewCache(handle, slug);
  return useMutation({
    mutationFn: (review: { rating: number; body: string }) => putMyReview(handle, slug, review),
    onSuccess: async (review) => {
      onSuccess?.(review);
      await store(review);
    },
    onError,
  });
}

/** PUT .../reviews/{id}/reply: the reply joins the cached list, then `onSuccess`. */
export function useReplyToReview(handle: string, slug: string, id: string, { onSuccess }: MutationHandlers<ReviewRecord> = {}) {
  const store = useReviewCache(handle, slug);
  return useMutation({
    mutationFn: (reply: string) => replyToReview(handle, slug, id, reply),
    onSuccess: async (updated) => {
      await store(updated);
      await onSuccess?.(updated);
    },
  });
}

/** POST .../reviews/{id}/reports: flags the review for the moderators. */
export function useReportReview(handle: string, slug: string, id: string) {
  return useMutation({ mutationFn: (reason: string) => reportReview(handle, slug, id, reason) });
}
