import { Link } from 'react-router';

export function ComingSoonPage({ title, description }: { title: string; description: string }) {
  return (
    <>
      <title>{`${title} · Agora`}</title>
      <section className="placeholder" aria-labelledby="placeholder-title">
        <span className="pill">Coming soon</span>
        <h1 id="placeholder-title">{title}</h1>
        <p className="lead">{description}</p>
        <Link to="/status" className="text-link">
          Meanwhile, check the system status →
        </Link>
      </section>
    </>
  );
}
