import { lazy, Suspense, type ReactNode } from 'react';

/**
 * Pages most visits never open, loaded on demand to keep the first download small: each
 * shows a placeholder while its code arrives.
 */
const LazyAgentStats = lazy(() => import('./features/studio/AgentStatsPage').then((module) => ({ default: module.AgentStatsPage })));
const LazyBilling = lazy(() => import('./features/billing/BillingPage').then((module) => ({ default: module.BillingPage })));
const LazyChat = lazy(() => import('./features/chat/ChatPage').then((module) => ({ default: module.ChatPage })));
const LazyVerifyEmail = lazy(() => import('./features/email-verification/VerifyEmailPage').then((module) => ({ default: module.VerifyEmailPage })));
const LazyOutbox = lazy(() => import('./features/email-verification/OutboxPage').then((module) => ({ default: module.OutboxPage })));
const LazyProviderKeys = lazy(() => import('./features/provider-keys/ProviderKeysPage').then((module) => ({ default: module.ProviderKeysPage })));
// The workflow pages draw graphs with React Flow, the largest dependency after the Markdown parser.
const LazyNewWorkflow = lazy(() => import('./features/workflows/editor/WorkflowEditorPage').then((module) => ({ default: module.NewWorkflowPage })));
const LazyEditWorkflow = lazy(() => import('./features/workflows/editor/WorkflowEditorPage').then((module) => ({ default: module.EditWorkflowPage })));
const LazyWorkflow = lazy(() => import('./features/workflows/WorkflowPage').then((module) => ({ default: module.WorkflowPage })));
const LazyWorkflowRun = lazy(() => import('./features/workflows/runs/WorkflowRunPage').then((module) => ({ default: module.WorkflowRunPage })));
// The workflow lists draw no graph, but few visits need them: they stay out of the first download too.
const LazyWorkflows = lazy(() => import('./features/workflows/WorkflowsPage').then((module) => ({ default: module.WorkflowsPage })));
const LazyMyWorkflows = lazy(() => import('./features/workflows/MyWorkflowsPage').then((module) => ({ default: module.MyWorkflowsPage })));
const LazySavedWorkflows = lazy(() => import('./features/workflows/SavedWorkflowsPage').then((module) => ({ default: module.SavedWorkflowsPage })));
const LazyWorkflowRuns = lazy(() => import('./features/workflows/runs/WorkflowRunsPage').then((module) => ({ default: module.WorkflowRunsPage })));

function Loading({ children }: { children: ReactNode }) {
  return (
    <Suspense
      fallback={
        <div role="status" aria-label="Loading the page" data-testid="page-loading">
          <div className="skeleton skeleton-banner" aria-hidden="true" />
        </div>
      }
    >
      {children}
    </Suspense>
  );
}

export function AgentStatsPage() {
  return (
    <Loading>
      <LazyAgentStats />
    </Loading>
  );
}

export function BillingPage() {
  return (
    <Loading>
      <LazyBilling />
    </Loading>
  );
}

export function ChatPage() {
  return (
    <Loading>
      <LazyChat />
    </Loading>
  );
}

export function VerifyEmailPage() {
  return (
    <Loading>
      <LazyVerifyEmail />
    </Loading>
  );
}

export function OutboxPage() {
  return (
    <Loading>
      <LazyOutbox />
    </Loading>
  );
}

export function ProviderKeysPage() {
  return (
    <Loading>
      <LazyProviderKeys />
    </Loading>
  );
}

export function NewWorkflowPage() {
  return (
    <Loading>
      <LazyNewWorkflow />
    </Loading>
  );
}

export function EditWorkflowPage() {
  return (
    <Loading>
      <LazyEditWorkflow />
    </Loading>
  );
}

export function WorkflowPage() {
  return (
    <Loading>
      <LazyWorkflow />
    </Loading>
  );
}

export function WorkflowRunPage() {
  return (
    <Loading>
      <LazyWorkflowRun />
    </Loading>
  );
}

export function WorkflowsPage() {
  return (
    <Loading>
      <LazyWorkflows />
    </Loading>
  );
}

export function MyWorkflowsPage() {
  return (
    <Loading>
      <LazyMyWorkflows />
    </Loading>
  );
}

export function WorkflowRunsPage() {
  return (
    <Loading>
      <LazyWorkflowRuns />
    </Loading>
  );
}

export function SavedWorkflowsPage() {
  return (
    <Loading>
      <LazySavedWorkflows />
    </Loading>
  );
}
