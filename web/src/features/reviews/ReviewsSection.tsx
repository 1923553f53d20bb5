import { useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import type { AgentView } from '../catalog/api';
import { ApiError, errorMessage, type FieldErrors } from '../../api/problem';
import type { ReviewRecord } from './api';
import { useReplyToReview, useReportReview, useReviews, useSaveMyReview } from './queries';
import { useAgentRuns } from '../run/queries';
import { useSession } from '../../session/useSession';
import { nextQuery } from '../../session/nextPath';
import { formatDate } from '../../format/dates';
import { TextAreaField } from '../../ui/forms/Controls';
import { FormAlert, FormNotice, SubmitButton } from '../../ui/forms/FormAlert';
import { focusFirstInvalid, formErrorsFrom, mergeErrors, useSubmitFailure } from '../../ui/forms/formErrors';
import { Stars, StarInput } from './Stars';
import './reviews.css';

const BODY_MAX = 5000;
const REPLY_MAX = 5000;
const REASON_MAX = 1000;

/** The caller's own review: write it, or change it. */
function MyReviewForm({ view, mine }: { view: AgentView; mine: ReviewRecord | undefined }) {
  const { handle, slug } = view.agent;
  const formRef = useRef<HTMLFormElement>(null);
  const [rating, setRating] = useState(mine?.rating ?? 0);
  const [body, setBody] = useState(mine?.body ?? '');
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState(false);
  const [cooldown, onError] = useSubmitFailure(formRef);
  const save = useSaveMyReview(handle, slug, { onSuccess: () => setSaved(true), onError });
  const errors = mergeErrors(localErrors, formErrorsFrom(save.error, ['rating', 'body']));
  const forbidden = save.error instanceof ApiError && save.error.status === 403 ? save.error : null;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found: FieldErrors = {};
    if (rating < 1 || rating > 5) found.rating = ['Choose from 1 to 5 stars.'];
    if ([...body.trim()].length > BODY_MAX) found.body = [`Use at most ${BODY_MAX.toLocaleString('en')} characters.`];
    setLocalErrors(found);
    setSaved(false);
    if (Object.keys(found).length > 0) {
      save.reset();
      setTimeout(() => focusFirstInvalid(formRef.current));
      return;
    }
    save.mutate({ rating, body: body.trim() });
  };

  return (
    <form ref={formRef} className="form review-form" onSubmit={onSubmit} noValidate data-testid="review-form">
      <h3 className="detail-subtitle">{mine ? 'Your review' : 'Write a review'}</h3>
      {forbidden ? (
        <div className="form-alert" role="alert" data-testid="review-forbidden">
          <p>{forbidden.problem?.detail ?? forbidden.message}</p>
          <p>
            <a href="#try-it" className="text-link">
              Run it in the try-it panel first →
            </a>
          </p>
        </div>
      ) : (
        <FormAlert message={errors.form} requestId={errors.requestId} />
      )}
      <StarInput
        value={rating}
        onChange={(star) => {
          setRating(star);
          setSaved(false);
        }}
        disabled={save.isPending}
        errors={errors.fields.rating}
      />
      <TextAreaField
        name="body"
        label="Your review"
        optional
        rows={3}
        maxLength={BODY_MAX}
        value={body}
        onChange={(event) => {
          setBody(event.target.value);
          setSaved(false);
        }}
        hint="What did it do well, and what not? Shown with your name."
        errors={errors.fields.body}
        data-testid="review-body"
      />
      <div className="form-actions">
        <SubmitButton pending={save.isPending} pendingLabel="Saving…" cooldown={cooldown}>
          {mine ? 'Update review' : 'Post review'}
        </SubmitButton>
        {saved && !save.isPending && <FormNotice testId="review-saved">Thanks: your review is posted.</FormNotice>}
      </div>
    </form>
  );
}

/** Where the caller stands: may review, must run the agent first, or is its creator. */
function MyReview({ view, mine }: { view: AgentView; mine: ReviewRecord | undefined }) {
  const { status, userId } = useSession();
  const location = useLocation();
  const runs = useAgentRuns(
    userId ?? '',
    view.agent.address,
    status === 'signed-in' && userId !== null && !view.is_owner && !mine,
  );
  if (status === 'restoring') return null;
  if (status === 'signed-out' || !userId) {
    return (
      <p className="muted review-note">
        <Link to={`/signin${nextQuery(location.pathname)}`} className="text-link">
          Sign in
        </Link>{' '}
        to review this agent once you have run it.
      </p>
    );
  }
  if (view.is_owner) {
    return <p className="muted review-note">This is your agent: you can reply to its reviews, not review it.</p>;
  }
  if (!mine && runs.data && !runs.data.runs.some((run) => run.status === 'succeeded')) {
    return (
      <p className="notice review-note" role="note" data-testid="review-run-first">
        Only people who have run this agent can review it.{' '}
        <a href="#try-it" className="text-link">
          Run it first →
        </a>
      </p>
    );
  }
  if (!mine && runs.isPending) return null;
  return <MyReviewForm view={view} mine={mine} />;
}

/** The creator's reply box under one review. */
function ReplyForm({ view, review, onDone }: { view: AgentView; review: ReviewRecord; onDone: () => void }) {
  const { handle, slug } = view.agent;
  const [reply, setReply] = useState(review.reply ?? '');
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const send = useReplyToReview(handle, slug, review.id, { onSuccess: onDone });
  const errors = mergeErrors(localErrors, formErrorsFrom(send.error, ['reply']));
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const text = reply.trim();
    const found: FieldErrors = {};
    if (!text) found.reply = ['Write a reply.'];
    else if ([...text].length > REPLY_MAX) found.reply = [`Use at most ${REPLY_MAX.toLocaleString('en')} characters.`];
    setLocalErrors(found);
    if (Object.keys(found).length === 0) send.mutate(text);
  };
  return (
    <form className="form reply-form" onSubmit={onSubmit} noValidate data-testid="reply-form">
      <FormAlert message={errors.form} requestId={errors.requestId} />
      <TextAreaField
        name="reply"
        label={`Reply to ${review.author_name}`}
        rows={2}
        maxLength={REPLY_MAX}
        value={reply}
        onChange={(event) => setReply(event.target.value)}
        errors={errors.fields.reply}
        autoFocus
      />
      <div className="form-actions">
        <SubmitButton pending={send.isPending} pendingLabel="Sending…" className="button button-primary button-small">
          {review.reply ? 'Update reply' : 'Reply'}
        </SubmitButton>
        <button type="button" className="button button-small" onClick={onDone} disabled={send.isPending}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** "Report": why the review breaks the rules, for the moderators. */
function ReportForm({ view, review, onDone }: { view: AgentView; review: ReviewRecord; onDone: () => void }) {
  const { handle, slug } = view.agent;
  const [reason, setReason] = useState('');
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const report = useReportReview(handle, slug, review.id);
  const errors = mergeErrors(localErrors, formErrorsFrom(report.error, ['reason']));
  if (report.isSuccess) {
    return (
      <FormNotice testId="review-reported">
        Reported: thank you. The moderators will have a look.{' '}
        <button type="button" className="link-button" onClick={onDone}>
          Close
        </button>
      </FormNotice>
    );
  }
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const text = reason.trim();
    const found: FieldErrors = {};
    if (!text) found.reason = ['Say what is wrong with this review.'];
    else if ([...text].length > REASON_MAX) found.reason = [`Use at most ${REASON_MAX.toLocaleString('en')} characters.`];
    setLocalErrors(found);
    if (Object.keys(found).length === 0) report.mutate(text);
  };
  return (
    <form className="form report-form" onSubmit={onSubmit} noValidate data-testid="report-form">
      <FormAlert message={errors.form} requestId={errors.requestId} />
      <TextAreaField
        name="reason"
        label="Why should the moderators look at this review?"
        rows={2}
        maxLength={REASON_MAX}
        value={reason}
        onChange={(event) => setReason(event.target.value)}
        hint="Spam, abuse, personal data, or not about this agent."
        errors={errors.fields.reason}
        autoFocus
      />
      <div className="form-actions">
        <SubmitButton pending={report.isPending} pendingLabel="Sending…" className="button button-danger button-small">
          Report review
        </SubmitButton>
        <button type="button" className="button button-small" onClick={onDone} disabled={report.isPending}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ReviewItem({ view, review, userId }: { view: AgentView; review: ReviewRecord; userId: string | null }) {
  const [open, setOpen] = useState<'reply' | 'report' | null>(null);
  const own = review.user_id === userId;
  const edited = review.updated_at !== review.created_at;
  return (
    <li className="review" data-testid="review" data-review-id={review.id} data-own={own ? 'true' : 'false'}>
      <div className="review-head">
        <Stars rating={review.rating} />
        <span className="review-author">
          <Link to={`/creators/${encodeURIComponent(review.author_handle)}`} className="creator-link">
            {review.author_name}
          </Link>
          {own && <span className="tag-badge">You</span>}
        </span>
        <time className="muted review-date" dateTime={review.created_at}>
          {formatDate(review.created_at)}
          {edited ? ' (edited)' : ''}
        </time>
      </div>
      {/* Reviews are plain text: nothing in them is interpreted. */}
      {review.body && <p className="review-body">{review.body}</p>}
      {review.reply && (
        <div className="review-reply" data-testid="review-reply">
          <p className="review-reply-head">
            Reply from the creator
            {review.replied_at && (
              <time className="muted" dateTime={review.replied_at}>
                {' '}
                · {formatDate(review.replied_at)}
              </time>
            )}
          </p>
          <p className="review-body">{review.reply}</p>
        </div>
      )}
      {userId && open === null && (
        <div className="review-actions">
          {view.is_owner && (
            <button type="button" className="link-button" onClick={() => setOpen('reply')} data-testid="reply-review">
              {review.reply ? 'Edit reply' : 'Reply'}
            </button>
          )}
          {!own && (
            <button type="button" className="link-button" onClick={() => setOpen('report')} data-testid="report-review">
              Report
            </button>
          )}
        </div>
      )}
      {open === 'reply' && <ReplyForm view={view} review={review} onDone={() => setOpen(null)} />}
      {open === 'report' && <ReportForm view={view} review={review} onDone={() => setOpen(null)} />}
    </li>
  );
}

/** Reviews on an agent's page: the rating, the caller's review form, and every review with its reply. */
export function ReviewsSection({ view }: { view: AgentView }) {
  const { handle, slug } = view.agent;
  const { userId } = useSession();
  const reviews = useReviews(handle, slug);
  const mine = userId ? reviews.data?.reviews.find((review) => review.user_id === userId) : undefined;
  const rating = reviews.data?.rating;

  return (
    <section className="card detail-section" aria-labelledby="reviews-title" data-testid="reviews">
      <h2 id="reviews-title" className="section-title">
        Reviews
      </h2>
      {reviews.isPending ? (
        <div className="skeleton skeleton-form" role="status" aria-label="Loading the reviews" />
      ) : reviews.error ? (
        <p className="field-error" role="alert">
          Could not load the reviews: {errorMessage(reviews.error)}
        </p>
      ) : (
        <>
          <div className="rating-summary" data-testid="rating-summary">
            {rating && rating.count > 0 && rating.average != null ? (
              <>
                <Stars rating={rating.average} testId="rating-stars" />
                <strong className="rating-average">{rating.average.toFixed(1)}</strong>
                <span className="muted" data-testid="rating-count">
                  {rating.count} {rating.count === 1 ? 'review' : 'reviews'}
                </span>
              </>
            ) : (
              <span className="muted" data-testid="rating-count">
                No reviews yet.
              </span>
            )}
          </div>
          <MyReview view={view} mine={mine} />
          {reviews.data.reviews.length > 0 && (
            <ul className="review-list" data-testid="review-list">
              {reviews.data.reviews.map((review) => (
                <ReviewItem key={review.id} view={view} review={review} userId={userId} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
