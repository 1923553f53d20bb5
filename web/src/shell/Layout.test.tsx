import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { categoriesBody, pageBody } from '../test/catalogFixtures';
import { jsonResponse, mockFetch, mockRoutes, okReport, problemResponse } from '../test/fixtures';
import { renderApp } from '../test/render';

describe('Layout', () => {
  it('has landmarks, a labelled main navigation and the web version', async () => {
    // The home page shows the marketplace's front page.
    mockRoutes({
      'POST /v1/auth/refresh': () => problemResponse(401, 'unauthorized', 'Unauthorized', 'No session.'),
      'GET /v1/health': () => jsonResponse(okReport),
      'GET /v1/categories': () => jsonResponse(categoriesBody),
      'GET /v1/agents': () => jsonResponse(pageBody([])),
    });
    renderApp('/');

    expect(screen.getByRole('banner')).toBeInTheDocument();
    expect(screen.getByRole('main')).toBeInTheDocument();
    expect(screen.getByRole('contentinfo')).toHaveTextContent(`Web v${__APP_VERSION__}`);
    const nav = screen.getByRole('navigation', { name: 'Main' });
    for (const name of ['Marketplace', 'My agents', 'Workflows', 'Status']) {
      expect(nav).toContainElement(screen.getByRole('link', { name }));
    }
    expect(screen.getByRole('link', { name: 'View system status' })).toHaveAttribute('href', '/status');
    // Let the session check and the marketplace rows settle before the test ends.
    expect(await within(screen.getByRole('banner')).findByRole('link', { name: 'Sign in' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('newest')).toHaveTextContent('No published agents yet.'));
  });

  it('marks the current page in the navigation', async () => {
    mockRoutes({
      'POST /v1/auth/refresh': () => problemResponse(401, 'unauthorized', 'Unauthorized', 'No session.'),
      'GET /v1/workflows': () => jsonResponse({ workflows: [] }),
    });
    renderApp('/workflows');

    expect(screen.getByRole('link', { name: 'Workflows' })).toHaveAttribute('aria-current', 'page');
    expect(screen.getByRole('link', { name: 'Status' })).not.toHaveAttribute('aria-current');
    // The page's code is loaded on demand.
    expect(await screen.findByRole('heading', { level: 1, name: 'Workflows' }, { timeout: 5000 })).toBeInTheDocument();
    expect(await screen.findByTestId('no-workflows')).toHaveTextContent('No published workflows yet');
  });

  it('shows a not found page for an unknown path', () => {
    mockFetch(() => jsonResponse(okReport));
    renderApp('/no/such/page');

    expect(screen.getByRole('heading', { level: 1, name: 'Page not found' })).toBeInTheDocument();
  });
});
