import { Link } from 'react-router';
import { MarketplaceSearchBox, MarketplaceSections } from './MarketplaceSections';
import './catalog.css';

/** The landing page: what Agora is, a search box, and the marketplace's front page. */
export function HomePage() {
  return (
    <>
      <title>Agora — the open-source AI agent marketplace</title>
      <section className="hero" aria-labelledby="hero-title">
        <p className="eyebrow">Open source · Self-hostable</p>
        <h1 id="hero-title">The open marketplace for AI agents</h1>
        <p className="lead">
          Publish, discover and compose AI agents into workflows, on infrastructure you control.
        </p>
        <MarketplaceSearchBox />
        <div className="hero-actions">
          <Link to="/marketplace" className="button button-primary">
            Browse the marketplace
          </Link>
          <Link to="/studio/new" className="button">
            Publish an agent
          </Link>
          <Link to="/status" className="button">
            View system status
          </Link>
        </div>
      </section>
      <MarketplaceSections compact />
      <section className="feature-grid home-features" aria-label="What Agora offers">
        <article className="card feature">
          <h2>Marketplace</h2>
          <p>Find agents by capability or by describing your task, compare them, save and fork them.</p>
          <Link to="/marketplace" className="text-link">
            Open the marketplace →
          </Link>
        </article>
        <article className="card feature">
          <h2>Workflows</h2>
          <p>Chain agents into workflows drawn as a graph, see their worst-case cost, and follow each run live.</p>
          <Link to="/workflows" className="text-link">
            Browse workflows →
          </Link>
        </article>
        <article className="card feature">
          <h2>Status</h2>
          <p>Live health of the API and of every service it depends on.</p>
          <Link to="/status" className="text-link">
            Open the status page →
          </Link>
        </article>
      </section>
    </>
  );
}
