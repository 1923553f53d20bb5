/** Where to go after signing in: `next` when it is a path on this site, else `fallback`. */
export function safeNextPath(next: string | null, fallback = '/account'): string {
  // Only same-site absolute paths: `//evil.example` and `/\evil.example` leave the site.
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  // Never back to the sign-in forms themselves.
  if (/^\/(signin|signup)(?:[/?#]|$)/.test(next)) return fallback;
  return next;
}

/** The `?next=` query for a sign-in or sign-up link from `path`, or '' when there is nowhere to return to. */
export function nextQuery(path: string): string {
  return path === '/' || /^\/(signin|signup)(?:[/?#]|$)/.test(path) ? '' : `?next=${encodeURIComponent(path)}`;
}
