/** Confirmation links: `<public url>/verify-email#token=<token>` (a fragment, so the token never reaches a server log or a Referer). */

/** The path of the confirmation page; the link in the mail carries `#token=<token>`. */
export const VERIFY_EMAIL_PATH = '/verify-email';

/** The token of a confirmation link's fragment (`#token=...`), or null. */
export function tokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token')?.trim();
  return token || null;
}

/**
 * Where the outbox's "Confirm email" button leads: a confirmation link opens here, on this
 * site, whatever address the server put in the mail (its public URL may name another port
 * or host than the one this page came from); any other link is left as it is.
 */
export function linkTarget(link: string): { inApp: string } | { external: string } {
  let url: URL;
  try {
    url = new URL(link, window.location.href);
  } catch {
    return { external: link };
  }
  return url.pathname === VERIFY_EMAIL_PATH && tokenFromHash(url.hash) ? { inApp: `${url.pathname}${url.hash}` } : { external: link };
}
