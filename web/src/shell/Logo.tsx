/** The Agora mark (a colonnade: the agora was the market square) and the word mark. */
export function Logo() {
  return (
    <span className="logo">
      <svg className="logo-mark" viewBox="0 0 32 32" width="32" height="32" aria-hidden="true" focusable="false">
        <defs>
          <linearGradient id="agora-logo-gradient" x1="0" y1="0" x2="1" y2="1">
            <stop offset="0" stopColor="var(--brand-1)" />
            <stop offset="1" stopColor="var(--brand-2)" />
          </linearGradient>
        </defs>
        <rect width="32" height="32" rx="8" fill="url(#agora-logo-gradient)" />
        <path d="M16 6 26 12H6Z" fill="#fff" />
        <rect x="8" y="14" width="3" height="10" rx="1" fill="#fff" />
        <rect x="14.5" y="14" width="3" height="10" rx="1" fill="#fff" />
        <rect x="21" y="14" width="3" height="10" rx="1" fill="#fff" />
        <rect x="6" y="25" width="20" height="2.5" rx="1" fill="#fff" />
      </svg>
      <span className="logo-word">Agora</span>
    </span>
  );
}
