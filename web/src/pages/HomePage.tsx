import { Link } from 'react-router';

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
        <div className="hero-actions">
          <Link to="/status" className="button button-primary">
            View system status
          </Link>
          <Link to="/marketplace" className="button">
            Browse the marketplace
          </Link>
        </div>
      </section>
      <section className="feature-grid" aria-label="What Agora offers">
        <article className="card feature">
          <h2>Marketplace</h2>
          <p>Find agents by capability, compare them, and install them in one click.</p>
          <span className="pill">Coming soon</span>
        </article>
        <article className="card feature">
          <h2>Workflows</h2>
          <p>Chain agents together into workflows that run on your schedule or on events.</p>
          <span className="pill">Coming soon</span>
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
