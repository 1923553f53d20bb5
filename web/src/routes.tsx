import type { RouteObject } from 'react-router';
import { RequireSession } from './session/RequireSession';
import { Layout } from './shell/Layout';
import { AccountLayout } from './features/account/AccountLayout';
import { AccountPage } from './features/account/AccountPage';
import { EditAgentPage, NewAgentPage } from './features/agent-editor/AgentEditorPage';
import { AgentPage } from './features/catalog/AgentPage';
import { ApiKeysPage } from './features/api-keys/ApiKeysPage';
import { CreatorPage } from './features/catalog/CreatorPage';
import { HomePage } from './features/catalog/HomePage';
import {
  AgentStatsPage,
  BillingPage,
  ChatPage,
  EditWorkflowPage,
  MyWorkflowsPage,
  NewWorkflowPage,
  OutboxPage,
  ProviderKeysPage,
  SavedWorkflowsPage,
  VerifyEmailPage,
  WorkflowPage,
  WorkflowRunPage,
  WorkflowRunsPage,
  WorkflowsPage,
} from './LazyPages';
import { MarketplacePage } from './features/catalog/MarketplacePage';
import { MyAgentsPage } from './features/studio/MyAgentsPage';
import { NotFoundPage } from './shell/NotFoundPage';
import { RouteErrorPage } from './shell/RouteErrorPage';
import { SavedAgentsPage } from './features/catalog/SavedAgentsPage';
import { SearchPage } from './features/catalog/SearchPage';
import { SignInPage } from './features/account/SignInPage';
import { SignUpPage } from './features/account/SignUpPage';
import { StatusPage } from './features/status/StatusPage';

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
          { path: 'marketplace', element: <MarketplacePage /> },
          // The search keeps its state in the query: /marketplace/search?q=...&category=...
          { path: 'marketplace/search', element: <SearchPage /> },
          { path: 'agents/:handle/:slug', element: <AgentPage /> },
          { path: 'creators/:handle', element: <CreatorPage /> },
          {
            // The caller's agents: list, new, edit (publish, roll back, deprecate).
            path: 'studio',
            element: <RequireSession />,
            children: [
              { index: true, element: <MyAgentsPage /> },
              { path: 'new', element: <NewAgentPage /> },
              { path: 'agents/:handle/:slug', element: <EditAgentPage /> },
              // The creator's dashboard of one agent: runs, users and revenue per version and per day.
              { path: 'agents/:handle/:slug/stats', element: <AgentStatsPage /> },
              // The caller's workflows, and the visual editor (validate, save, publish, run).
              { path: 'workflows', element: <MyWorkflowsPage /> },
              { path: 'workflows/new', element: <NewWorkflowPage /> },
              { path: 'workflows/:handle/:slug', element: <EditWorkflowPage /> },
            ],
          },
          {
            // The caller's conversations: /chat, and one of them at /chat/<id>.
            path: 'chat',
            element: <RequireSession />,
            children: [
              { index: true, element: <ChatPage /> },
              { path: ':id', element: <ChatPage /> },
            ],
          },
          // Published workflows: search, and one workflow's graph, agents and versions (Run, Fork).
          { path: 'workflows', element: <WorkflowsPage /> },
          { path: 'workflows/:handle/:slug', element: <WorkflowPage /> },
          {
            // The caller's workflow runs, and one run followed live.
            path: 'workflow-runs',
            element: <RequireSession />,
            children: [
              { index: true, element: <WorkflowRunsPage /> },
              { path: ':id', element: <WorkflowRunPage /> },
            ],
          },
          { path: 'status', element: <StatusPage /> },
          { path: 'signin', element: <SignInPage /> },
          { path: 'signup', element: <SignUpPage /> },
          // A confirmation link from the mail (/verify-email#token=...), signed in or not.
          { path: 'verify-email', element: <VerifyEmailPage /> },
          {
            // The local development outbox: the mail a server that sends none would have sent.
            path: 'outbox',
            element: <RequireSession />,
            children: [{ index: true, element: <OutboxPage /> }],
          },
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
                  { path: 'saved', element: <SavedAgentsPage /> },
                  { path: 'saved-workflows', element: <SavedWorkflowsPage /> },
                  { path: 'billing', element: <BillingPage /> },
                  { path: 'provider-keys', element: <ProviderKeysPage /> },
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
