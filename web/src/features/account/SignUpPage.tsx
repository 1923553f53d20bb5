import { useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import type { FieldErrors } from '../../api/problem';
import { nextQuery, safeNextPath } from '../../session/nextPath';
import { Field } from '../../ui/forms/Field';
import { FormAlert, SubmitButton } from '../../ui/forms/FormAlert';
import {
  focusFirstInvalid,
  formErrorsFrom,
  mergeErrors,
  passwordProblem,
  PASSWORD_RULES,
  useSubmitFailure,
} from '../../ui/forms/formErrors';
import { useSignUp } from './queries';
import './account.css';

const FIELDS = ['email', 'display_name', 'password'] as const;

/** /signup: create an account, then continue to `?next=` (or /account) signed in. */
export function SignUpPage() {
  const navigate = useNavigate();
  const [searchParams] = useSearchParams();
  const requestedNext = searchParams.get('next');
  const next = safeNextPath(requestedNext);
  const formRef = useRef<HTMLFormElement>(null);
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [cooldown, onError] = useSubmitFailure(formRef);

  const register = useSignUp({
    onSuccess: () => navigate(next, { replace: true }),
    onError,
  });
  const errors = mergeErrors(localErrors, formErrorsFrom(register.error, FIELDS));

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found: FieldErrors = {};
    if (!email.trim()) found.email = ['Enter your email address.'];
    const weak = passwordProblem(password);
    if (weak) found.password = [weak];
    setLocalErrors(found);
    if (Object.keys(found).length > 0) {
      register.reset();
      setTimeout(() => focusFirstInvalid(formRef.current));
      return;
    }
    const name = displayName.trim();
    register.mutate({ email: email.trim(), password, ...(name ? { display_name: name } : {}) });
  };

  return (
    <>
      <title>Create an account · Agora</title>
      <section className="auth-page" aria-labelledby="signup-title">
        <div className="card auth-card">
          <h1 id="signup-title">Create your account</h1>
          <p className="muted auth-lead">Publish agents, build workflows and get API keys.</p>
          <form ref={formRef} className="form" onSubmit={onSubmit} noValidate data-testid="signup-form">
            <FormAlert message={errors.form} requestId={errors.requestId} />
            <Field
              name="email"
              label="Email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              errors={errors.fields.email}
            />
            <Field
              name="display_name"
              label="Display name"
              optional
              autoComplete="nickname"
              maxLength={80}
              value={displayName}
              onChange={(event) => setDisplayName(event.target.value)}
              hint="How others see you, up to 80 characters. Defaults to the part of your email before the @."
              errors={errors.fields.display_name}
            />
            <Field
              name="password"
              label="Password"
              type="password"
              autoComplete="new-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              hint={PASSWORD_RULES}
              errors={errors.fields.password}
            />
            <SubmitButton pending={register.isPending} pendingLabel="Creating your account…" cooldown={cooldown}>
              Create account
            </SubmitButton>
          </form>
          <p className="auth-switch">
            Already have an account?{' '}
            <Link to={`/signin${requestedNext ? nextQuery(next) : ''}`} className="text-link">
              Sign in
            </Link>
          </p>
        </div>
      </section>
    </>
  );
}
