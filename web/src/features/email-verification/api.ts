import { queryOptions } from '@tanstack/react-query';
import { send } from '../../api/call';
import { api, type Schemas } from '../../api/client';

/**
 * Confirming the account's email address, which brings the free sign-up credits:
 * POST /v1/me/verification-email (send a new link), POST /v1/auth/verify-email (follow
 * one, signed in or not) and GET /v1/me/outbox (the local development outbox, only where
 * the server sends no real email).
 */

export type VerificationEmailSent = Schemas['VerificationEmailSent'];
export type EmailVerified = Schemas['EmailVerifiedResponse'];
export type OutboxMail = Schemas['OutboxMail'];

/** Under `account`, so signing out drops the caller's mail with the rest of the account's data. */
export const emailKeys = {
  outbox: (userId: string) => ['account', userId, 'outbox'] as const,
};

/** POST /v1/me/verification-email: a new link to the account's address. 409 once confirmed, 429 after 3 an hour, 503 where no mail goes out. */
export function sendVerificationEmail(): Promise<VerificationEmailSent> {
  return send(api.POST('/v1/me/verification-email'));
}

/** POST /v1/auth/verify-email: needs no session. 422 (field `token`) for an unknown or expired link. */
export function verifyEmail(token: string): Promise<EmailVerified> {
  return send(api.POST('/v1/auth/verify-email', { body: { token } }));
}

/** GET /v1/me/outbox: the caller's mail, newest first; 404 where the server sends real email. */
export async function listOutbox(signal?: AbortSignal): Promise<OutboxMail[]> {
  const outbox = await send(api.GET('/v1/me/outbox', { signal }), signal);
  return outbox.mails;
}

export const outboxQuery = (userId: string) =>
  queryOptions({
    queryKey: emailKeys.outbox(userId),
    queryFn: ({ signal }) => listOutbox(signal),
  });
