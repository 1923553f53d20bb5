import type { ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';

/**
 * Renders a creator's Markdown (an agent's description) safely. The text comes from anyone
 * who publishes an agent, so:
 *
 * - raw HTML is never rendered: react-markdown builds React elements (no innerHTML), and
 *   `skipHtml` drops every HTML tag in the source, `<script>` and `onerror=` included;
 * - only the elements below are kept, whatever a future parser option might produce;
 * - react-markdown's default URL filter empties `javascript:` and other unsafe URLs, and
 * - links work only for http(s) and mailto, open in a new tab, and carry
 *   `rel="noopener noreferrer nofollow"`; any other link (`javascript:`, `data:`, relative)
 *   is shown as plain text that cannot be clicked;
 * - images are never loaded (a remote image would tell its host who reads the page): an
 *   http(s) image becomes a link to it, anything else just its description.
 *
 * Model output (`variant="model-output"`: chat answers, the try-it panel) is stricter still,
 * because a prompt injection can make a model write whatever an attacker likes, such as a
 * link or an image whose URL carries what the conversation said:
 *
 * - an image is never loaded and never a link: it is shown as text with its URL;
 * - a web link shows the host it leads to next to its text, so a disguised link is visible.
 */

export type MarkdownVariant = 'description' | 'model-output';

const SAFE_LINK = /^(https?:|mailto:)/i;

/** The URL when it is absolute and uses a protocol we allow, else null. */
function safeHref(href: string | undefined): string | null {
  const value = href?.trim() ?? '';
  if (!SAFE_LINK.test(value)) return null;
  try {
    const url = new URL(value);
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

const ALLOWED_ELEMENTS = [
  'p',
  'br',
  'hr',
  'strong',
  'em',
  'del',
  'code',
  'pre',
  'blockquote',
  'ul',
  'ol',
  'li',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'a',
  'img',
];

function ExternalLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  );
}

/** The page has its own h1 and h2s: a description's headings start one level lower. */
function heading(level: 3 | 4 | 5 | 6) {
  const Tag = `h${level}` as const;
  return function Heading({ children }: { children?: ReactNode }) {
    return <Tag className="markdown-heading">{children}</Tag>;
  };
}

const components: Components = {
  a({ href, children }) {
    const safe = safeHref(href);
    if (!safe) {
      return (
        <span className="markdown-dead-link" title="This link was disabled: only web and email links are allowed.">
          {children}
        </span>
      );
    }
    return <ExternalLink href={safe}>{children}</ExternalLink>;
  },
  img({ src, alt }) {
    const safe = typeof src === 'string' ? safeHref(src) : null;
    const label = alt?.trim() ? alt.trim() : 'image';
    if (!safe || safe.startsWith('mailto:')) return <span className="markdown-image">[{label}]</span>;
    return (
      <span className="markdown-image">
        <ExternalLink href={safe}>Image: {label}</ExternalLink>
      </span>
    );
  },
  h1: heading(3),
  h2: heading(4),
  h3: heading(5),
  h4: heading(6),
  h5: heading(6),
  h6: heading(6),
};

/** The longest URL shown in full in model output; longer ones are cut (they stay inert text). */
const SHOWN_URL_MAX = 120;

function shownUrl(url: string): string {
  return url.length > SHOWN_URL_MAX ? `${url.slice(0, SHOWN_URL_MAX)}…` : url;
}

/** The host a web link leads to, or null (mailto, or unparsable). */
function linkHost(href: string): string | null {
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : null;
  } catch {
    return null;
  }
}

const modelOutputComponents: Components = {
  ...components,
  a({ href, children, node }) {
    const safe = safeHref(href);
    if (!safe) {
      return (
        <span className="markdown-dead-link" title="This link was disabled: only web and email links are allowed.">
          {children}
        </span>
      );
    }
    const host = linkHost(safe);
    const text = node?.children.map((child) => (child.type === 'text' ? child.value : '')).join('') ?? '';
    return (
      <>
        <ExternalLink href={safe}>{children}</ExternalLink>
        {host && text.trim() !== safe && text.trim() !== host && <span className="markdown-link-host"> ({host})</span>}
      </>
    );
  },
  img({ src, alt }) {
    const label = alt?.trim() ? alt.trim() : 'image';
    const url = typeof src === 'string' ? src.trim() : '';
    return (
      <span className="markdown-image markdown-image-inert" data-testid="inert-image">
        [Image not loaded: {label}]{url && <> <code className="markdown-image-url">{shownUrl(url)}</code></>}
      </span>
    );
  },
};

/** The renderer itself; pages use {@link Markdown}, which loads it (and the parser) on demand. */
export default function MarkdownView({
  source,
  className = '',
  variant = 'description',
}: {
  source: string;
  className?: string;
  variant?: MarkdownVariant;
}) {
  return (
    <div className={`markdown ${className}`.trim()} data-testid="markdown">
      <ReactMarkdown
        skipHtml
        allowedElements={ALLOWED_ELEMENTS}
        unwrapDisallowed
        components={variant === 'model-output' ? modelOutputComponents : components}
      >
        {source}
      </ReactMarkdown>
    </div>
  );
}
