import { queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type Schemas } from '../../api/client';

/** An agent's reviews and rating (public), the caller's own review, creator replies, reports. */

export type ReviewList = Schemas['ReviewsView'];
export type ReviewRecord = Schemas['ReviewRecord'];
export type RatingSummary = Schemas['RatingSummary'];
export type ReviewRequest = Schemas['ReviewRequest'];

export const reviewKeys = {
  reviews: (handle: string, slug: string) => ['catalog', 'reviews', handle, slug] as const,
};

export function listReviews(handle: string, slug: string, signal?: AbortSignal): Promise<ReviewList> {
  return send(api.GET('/v1/agents/{handle}/{slug}/reviews', { params: { path: { handle, slug } }, signal }), signal);
}

export const reviewsQuery = (handle: string, slug: string) =>
  queryOptions({
    queryKey: reviewKeys.reviews(handle, slug),
    queryFn: ({ signal }) => listReviews(handle, slug, signal),
  });

/** PUT .../reviews/mine: writes or replaces the caller's review. 403 without a succeeded run, or for the creator. */
export function putMyReview(handle: string, slug: string, review: ReviewRequest): Promise<ReviewRecord> {
  return send(api.PUT('/v1/agents/{handle}/{slug}/reviews/mine', { params: { path: { handle, slug } }, body: review }));
}

/** PUT .../reviews/{id}/reply: the creator's answer (replaces an earlier one). */
export function replyToReview(handle: string, slug: string, id: string, reply: string): Promise<ReviewRecord> {
  return send(
    api.PUT('/v1/agents/{handle}/{slug}/reviews/{id}/reply', { params: { path: { handle, slug, id } }, body: { reply } }),
  );
}

/** POST .../reviews/{id}/reports: flags a review for the moderators (202, once per person). */
export async function reportReview(handle: string, slug: string, id: string, reason: string): Promise<void> {
  await send(
    api.POST('/v1/agents/{handle}/{slug}/reviews/{id}/reports', { params: { path: { handle, slug, id } }, body: { reason } }),
  );
}
