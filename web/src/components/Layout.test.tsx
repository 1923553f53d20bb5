import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { jsonResponse, mockFetch, okReport } from '../test/fixtures';
import { renderApp } from '../test/render';

describe('Layout', () => {
  it('has landmarks, a labelled main navigation and the web version', () => {
    mockFetch(() => jsonResponse(okReport));
    renderApp('/');

    expect(screen.getByRole('banner')).toBeInTheDocument();
    expect(screen.getByRole('main')).toBeInTheDocument();
    expect(screen.getByRole('contentinfo')).toHaveTextContent(`Web v${__APP_VERSION__}`);
    const nav = screen.getByRole('navigation', { name: 'Main' });
    for (const name of ['Marketplace', 'Workflows', 'Status']) {
      expect(nav).toContainElement(screen.getByRole('link', { name }));
    }
    expect(screen.getByRole('link', { name: 'View system status' })).toHaveAttribute('href', '/status');
  });

  it('marks the current page in the navigation', () => {
    mockFetch(() => jsonResponse(okReport));
    renderApp('/workflows');

    expect(screen.getByRole('link', { name: 'Workflows' })).toHaveAttribute('aria-current', 'page');
    expect(screen.getByRole('link', { name: 'Status' })).not.toHaveAttribute('aria-current');
    expect(screen.getByRole('heading', { level: 1, name: 'Workflows' })).toBeInTheDocument();
    expect(screen.getByText('Coming soon')).toBeInTheDocument();
  });

  it('shows a not found page for an unknown path', () => {
    mockFetch(() => jsonResponse(okReport));
    renderApp('/no/such/page');

    expect(screen.getByRole('heading', { level: 1, name: 'Page not found' })).toBeInTheDocument();
  });
});
