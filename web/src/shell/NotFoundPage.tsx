import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <>
      <title>Page not found · Agora</title>
      <section className="placeholder" aria-labelledby="not-found-title">
        <span className="pill">404</span>
        <h1 id="not-found-title">Page not found</h1>
        <p className="lead">There is nothing at this address.</p>
        <Link to="/" className="text-link">
          Back to the home page →
        </Link>
      </section>
    </>
  );
}
