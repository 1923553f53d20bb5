import { useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import type { FieldErrors } from '../../api/problem';
import { nextQuery, safeNextPath } from '../../session/nextPath';
import { Field } from '../../ui/forms/Field';
import { FormAlert, SubmitButton } from '../../ui/forms/FormAlert';
import { focusFirstInvalid, formErrorsFrom, mergeErrors, useSubmitFailure } from '../../ui/forms/formErrors';
import { useSession } from '../../session/useSession';
import { useSignIn } from './queries';
import './account.css';

const FIELDS = ['email', 'password'] as const;

/** /signin: email and password, then back to `?next=` (or /account). */
export function SignInPage() {
  const navigate = useNavigate();
  const session = useSession();
  const [searchParams] = useSearchParams();
  const requestedNext = searchParams.get('next');
  const next = safeNextPath(requestedNext);
  const formRef = useRef<HTMLFormElement>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [cooldown, onError] = useSubmitFailure(formRef);

  const login = useSignIn({
    onSuccess: () => navigate(next, { replace: true }),
    onError,
  });
  const errors = mergeErrors(localErrors, formErrorsFrom(login.error, FIELDS));
  // Why the last session ended (e.g. a password change), until the next sign-in.
  const notice = session.status === 'signed-out' ? session.notice : null;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found: FieldErrors = {};
    if (!email.trim()) found.email = ['Enter your email address.'];
    if (!password) found.password = ['Enter your password.'];
    setLocalErrors(found);
    if (Object.keys(found).length > 0) {
      login.reset();
      setTimeout(() => focusFirstInvalid(formRef.current));
      return;
    }
    login.mutate({ email: email.trim(), password });
  };

  return (
    <>
      <title>Sign in · Agora</title>
      <section className="auth-page" aria-labelledby="signin-title">
        <div className="card auth-card">
          <h1 id="signin-title">Sign in to Agora</h1>
          {notice && (
            <p className="form-notice" role="status" data-testid="signin-notice">
              {notice}
            </p>
          )}
          <form ref={formRef} className="form" onSubmit={onSubmit} noValidate data-testid="signin-form">
            <FormAlert message={errors.form} requestId={errors.requestId} />
            <Field
              name="email"
              label="Email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              errors={errors.fields.email}
            />
            <Field
              name="password"
              label="Password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              errors={errors.fields.password}
            />
            <SubmitButton pending={login.isPending} pendingLabel="Signing in…" cooldown={cooldown}>
              Sign in
            </SubmitButton>
          </form>
          <p className="auth-switch">
            New to Agora?{' '}
            <Link to={`/signup${requestedNext ? nextQuery(next) : ''}`} className="text-link">
              Create an account
            </Link>
          </p>
        </div>
      </section>
    </>
  );
}
