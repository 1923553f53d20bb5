import { lazy, Suspense, type ReactNode } from 'react';

/**
 * Pages most visits never open, loaded on demand to keep the first download small: each
 * shows a placeholder while its code arrives.
 */
const LazyAgentStats = lazy(() => import('./AgentStatsPage').then((module) => ({ default: module.AgentStatsPage })));
const LazyBilling = lazy(() => import('./BillingPage').then((module) => ({ default: module.BillingPage })));
const LazyChat = lazy(() => import('./ChatPage').then((module) => ({ default: module.ChatPage })));
const LazyProviderKeys = lazy(() => import('./ProviderKeysPage').then((module) => ({ default: module.ProviderKeysPage })));

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

export function ProviderKeysPage() {
  return (
    <Loading>
      <LazyProviderKeys />
    </Loading>
  );
}
