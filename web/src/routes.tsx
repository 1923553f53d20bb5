import type { RouteObject } from 'react-router';
import { Layout } from './components/Layout';
import { ComingSoonPage } from './pages/ComingSoonPage';
import { HomePage } from './pages/HomePage';
import { NotFoundPage } from './pages/NotFoundPage';
import { RouteErrorPage } from './pages/RouteErrorPage';
import { StatusPage } from './pages/StatusPage';

/**
 * Every client route. The server must answer each of these paths (and any other non-/v1
 * path) with index.html so a reload or a deep link works.
 */
export const routes: RouteObject[] = [
  {
    path: '/',
    element: <Layout />,
    errorElement: <RouteErrorPage />,
    children: [
      {
        errorElement: <RouteErrorPage />,
        children: [
          { index: true, element: <HomePage /> },
          {
            path: 'marketplace',
            element: (
              <ComingSoonPage
                title="Marketplace"
                description="Browse, compare and install AI agents published by the community."
              />
            ),
          },
          {
            path: 'workflows',
            element: (
              <ComingSoonPage
                title="Workflows"
                description="Compose agents into workflows that run on a schedule or in response to events."
              />
            ),
          },
          { path: 'status', element: <StatusPage /> },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
];
