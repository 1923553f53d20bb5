import { lazy, Suspense } from 'react';
import type { MarkdownVariant } from './MarkdownView';
import './Markdown.css';

/**
 * The Markdown parser is the largest part of the bundle and only agent pages, the editor and
 * chats need it: it is loaded the first time one of them shows some Markdown.
 */
const MarkdownView = lazy(() => import('./MarkdownView'));

/**
 * Markdown from someone else, rendered safely (see MarkdownView.tsx for what "safely" means):
 * a creator's description, or with `variant="model-output"` a model's answer (stricter: images
 * are text, links show their host). While the renderer loads, model output shows as plain text.
 */
export function Markdown({
  source,
  className,
  variant = 'description',
}: {
  source: string;
  className?: string;
  variant?: MarkdownVariant;
}) {
  const fallback =
    variant === 'model-output' ? (
      <div className="markdown markdown-plain">{source}</div>
    ) : (
      <p className="muted markdown-loading">Loading the description…</p>
    );
  return (
    <Suspense fallback={fallback}>
      <MarkdownView source={source} variant={variant} {...(className ? { className } : {})} />
    </Suspense>
  );
}
