import { useCachedHealth } from '../features/status/queries';

/** The footer: the version of this UI and, once known, of the API it talks to. */
export function SiteFooter() {
  // Shares the status page's cache entry; the footer alone never polls.
  const { data } = useCachedHealth();
  return (
    <footer className="site-footer">
      <div className="container site-footer-inner">
        <p>
          <strong>Agora</strong> — the open-source AI agent marketplace
        </p>
        <p className="site-footer-versions">
          <span>
            Web <span data-testid="web-version">v{__APP_VERSION__}</span>
          </span>
          {data && (
            <span>
              API <span data-testid="api-version">v{data.version}</span>
            </span>
          )}
        </p>
      </div>
    </footer>
  );
}
