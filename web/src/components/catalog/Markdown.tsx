import { lazy, Suspense } from 'react';

/**
 * The Markdown parser is the largest part of the bundle and only agent pages and the editor
 * need it: it is loaded the first time one of them shows a description.
 */
const MarkdownView = lazy(() => import('./MarkdownView'));

/** A creator's Markdown, rendered safely (see MarkdownView.tsx for what "safely" means). */
export function Markdown({ source, className }: { source: string; className?: string }) {
  return (
    <Suspense fallback={<p className="muted markdown-loading">Loading the description…</p>}>
      <MarkdownView source={source} {...(className ? { className } : {})} />
    </Suspense>
  );
}
