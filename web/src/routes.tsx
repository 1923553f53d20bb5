import type { RouteObject } from 'react-router';
import { RequireSession } from './components/account/RequireSession';
import { Layout } from './components/Layout';
import { AccountLayout } from './pages/AccountLayout';
import { AccountPage } from './pages/AccountPage';
import { ApiKeysPage } from './pages/ApiKeysPage';
import { ComingSoonPage } from './pages/ComingSoonPage';
import { HomePage } from './pages/HomePage';
import { NotFoundPage } from './pages/NotFoundPage';
import { RouteErrorPage } from './pages/RouteErrorPage';
import { SignInPage } from './pages/SignInPage';
import { SignUpPage } from './pages/SignUpPage';
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
          { path: 'signin', element: <SignInPage /> },
          { path: 'signup', element: <SignUpPage /> },
          {
            // Signed-out visitors go to /signin?next=<path>.
            path: 'account',
            element: <RequireSession />,
            children: [
              {
                element: <AccountLayout />,
                children: [
                  { index: true, element: <AccountPage /> },
                  { path: 'api-keys', element: <ApiKeysPage /> },
                ],
              },
            ],
          },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
];
