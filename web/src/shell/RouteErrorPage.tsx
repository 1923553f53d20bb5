import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { errorMessage } from '../api/problem';

/** Shown in the layout when a page throws while rendering or loading. */
export function RouteErrorPage() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : errorMessage(error);
  return (
    <section className="placeholder" role="alert" aria-labelledby="route-error-title">
      <h1 id="route-error-title">Something went wrong</h1>
      <p className="lead">{message}</p>
      <Link to="/" className="text-link">
        Back to the home page →
      </Link>
    </section>
  );
}
