import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { User } from '../../api/client';
import { ApiError, type FieldErrors } from '../../api/problem';
import { TextAreaField } from '../../ui/forms/Controls';
import { Field } from '../../ui/forms/Field';
import { FormAlert, FormNotice, SubmitButton } from '../../ui/forms/FormAlert';
import {
  focusFirstInvalid,
  formErrorsFrom,
  mergeErrors,
  passwordProblem,
  PASSWORD_RULES,
  useSubmitFailure,
} from '../../ui/forms/formErrors';
import { formatLongDate } from '../../format/dates';
import { useChangePassword, useCurrentUser, useUpdateDisplayName, useUpdatePublicProfile } from './queries';
import { LoadError } from '../../ui/LoadError';
import './account.css';

const DISPLAY_NAME_MAX = 80;

function DisplayNameForm({ user }: { user: User }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [displayName, setDisplayName] = useState(user.display_name);
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [cooldown, onError] = useSubmitFailure(formRef);
  const save = useUpdateDisplayName({ onError });
  const errors = mergeErrors(localErrors, formErrorsFrom(save.error, ['display_name']));

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const name = displayName.trim();
    const found: FieldErrors = {};
    if (!name) found.display_name = ['Enter a display name.'];
    else if ([...name].length > DISPLAY_NAME_MAX) found.display_name = [`Use at most ${DISPLAY_NAME_MAX} characters.`];
    setLocalErrors(found);
    if (Object.keys(found).length > 0) {
      save.reset();
      setTimeout(() => focusFirstInvalid(formRef.current));
      return;
    }
    save.mutate(name);
  };

  return (
    <form ref={formRef} className="form" onSubmit={onSubmit} noValidate data-testid="profile-form">
      <FormAlert message={errors.form} requestId={errors.requestId} />
      <Field
        name="display_name"
        label="Display name"
        autoComplete="nickname"
        maxLength={DISPLAY_NAME_MAX}
        value={displayName}
        onChange={(event) => {
          setDisplayName(event.target.value);
          if (save.isSuccess) save.reset();
        }}
        hint={`How others see you, 1 to ${DISPLAY_NAME_MAX} characters.`}
        errors={errors.fields.display_name}
      />
      <div className="form-actions">
        <SubmitButton pending={save.isPending} pendingLabel="Saving…" cooldown={cooldown}>
          Save name
        </SubmitButton>
        {save.isSuccess && <FormNotice testId="profile-saved">Saved.</FormNotice>}
      </div>
    </form>
  );
}

const HANDLE_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
const BIO_MAX = 500;

/**
 * The handle (agents live at `<handle>/<slug>`) and the bio shown on the creator page. A
 * taken handle (409) is said next to the handle field.
 */
function PublicProfileForm({ user }: { user: User }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [handle, setHandle] = useState(user.handle);
  const [bio, setBio] = useState(user.bio);
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [cooldown, onError] = useSubmitFailure(formRef);
  const save = useUpdatePublicProfile({ onError });
  const serverErrors =
    save.error instanceof ApiError && save.error.status === 409
      ? { fields: { handle: [save.error.problem?.detail ?? save.error.message] }, form: null, requestId: save.error.requestId }
      : formErrorsFrom(save.error, ['handle', 'bio']);
  const errors = mergeErrors(localErrors, serverErrors);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const wanted = handle.trim().toLowerCase();
    const found: FieldErrors = {};
    if (!HANDLE_PATTERN.test(wanted)) {
      found.handle = ['Use 3 to 32 lower-case letters, digits and hyphens, starting with a letter.'];
    }
    if ([...bio].length > BIO_MAX) found.bio = [`Use at most ${BIO_MAX} characters.`];
    setLocalErrors(found);
    if (Object.keys(found).length > 0) {
      save.reset();
      setTimeout(() => focusFirstInvalid(formRef.current));
      return;
    }
    const changes: { handle?: string; bio?: string } = {};
    if (wanted !== user.handle) changes.handle = wanted;
    if (bio !== user.bio) changes.bio = bio;
    save.mutate(changes);
  };

  return (
    <form ref={formRef} className="form" onSubmit={onSubmit} noValidate data-testid="public-profile-form">
      <FormAlert message={errors.form} requestId={errors.requestId} />
      <Field
        name="handle"
        label="Handle"
        autoComplete="username"
        maxLength={32}
        value={handle}
        onChange={(event) => {
          setHandle(event.target.value);
          if (save.isSuccess) save.reset();
        }}
        hint={`Your agents live at ${handle.trim() || user.handle}/<agent>; links to them change with it.`}
        errors={errors.fields.handle}
      />
      <TextAreaField
        name="bio"
        label="Bio"
        optional
        rows={3}
        maxLength={BIO_MAX}
        value={bio}
        onChange={(event) => {
          setBio(event.target.value);
          if (save.isSuccess) save.reset();
        }}
        hint={`Shown on your creator page, up to ${BIO_MAX} characters.`}
        errors={errors.fields.bio}
      />
      <div className="form-actions">
        <SubmitButton pending={save.isPending} pendingLabel="Saving…" cooldown={cooldown}>
          Save profile
        </SubmitButton>
        {save.isSuccess && <FormNotice testId="public-profile-saved">Saved.</FormNotice>}
        <Link to={`/creators/${encodeURIComponent(user.handle)}`} className="text-link">
          View your creator page →
        </Link>
      </div>
    </form>
  );
}

const PASSWORD_FIELDS = ['current_password', 'new_password', 'confirm_password'] as const;

function PasswordForm() {
  const formRef = useRef<HTMLFormElement>(null);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [cooldown, onError] = useSubmitFailure(formRef);
  const change = useChangePassword({ onError });
  const errors = mergeErrors(localErrors, formErrorsFrom(change.error, PASSWORD_FIELDS));

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found: FieldErrors = {};
    if (!current) found.current_password = ['Enter your current password.'];
    const weak = passwordProblem(next);
    if (weak) found.new_password = [weak];
    else if (next === current) found.new_password = ['Choose a password different from your current one.'];
    if (confirm !== next) found.confirm_password = ['This does not match the new password.'];
    setLocalErrors(found);
    if (Object.keys(found).length > 0) {
      change.reset();
      setTimeout(() => focusFirstInvalid(formRef.current));
      return;
    }
    change.mutate({ current_password: current, new_password: next });
  };

  return (
    <form ref={formRef} className="form" onSubmit={onSubmit} noValidate data-testid="password-form">
      <FormAlert message={errors.form} requestId={errors.requestId} />
      <Field
        name="current_password"
        label="Current password"
        type="password"
        autoComplete="current-password"
        value={current}
        onChange={(event) => setCurrent(event.target.value)}
        errors={errors.fields.current_password}
      />
      <Field
        name="new_password"
        label="New password"
        type="password"
        autoComplete="new-password"
        value={next}
        onChange={(event) => setNext(event.target.value)}
        hint={PASSWORD_RULES}
        errors={errors.fields.new_password}
      />
      <Field
        name="confirm_password"
        label="Confirm new password"
        type="password"
        autoComplete="new-password"
        value={confirm}
        onChange={(event) => setConfirm(event.target.value)}
        errors={errors.fields.confirm_password}
      />
      <div className="form-actions">
        <SubmitButton pending={change.isPending} pendingLabel="Changing password…" cooldown={cooldown}>
          Change password
        </SubmitButton>
      </div>
    </form>
  );
}

/** /account: the profile (display name) and the password. */
export function AccountPage() {
  const { data: user, error, isPending, refetch, isFetching } = useCurrentUser();
  return (
    <>
      <title>Your account · Agora</title>
      <div className="settings-grid">
        <section className="card settings-section" aria-labelledby="profile-title">
          <h2 id="profile-title" className="section-title">
            Profile
          </h2>
          {isPending ? (
            <div className="skeleton skeleton-form" role="status" aria-label="Loading your profile" />
          ) : user ? (
            <>
              <dl className="profile-facts">
                <div>
                  <dt>Email</dt>
                  <dd>{user.email}</dd>
                </div>
                <div>
                  <dt>Member since</dt>
                  <dd>
                    <time dateTime={user.created_at}>{formatLongDate(user.created_at)}</time>
                  </dd>
                </div>
              </dl>
              <DisplayNameForm user={user} />
            </>
          ) : (
            <LoadError what="your profile" error={error} onRetry={() => void refetch()} retrying={isFetching} />
          )}
        </section>
        <section className="card settings-section" aria-labelledby="password-title">
          <h2 id="password-title" className="section-title">
            Password
          </h2>
          <p className="muted section-subtitle">
            Changing your password signs you out everywhere, here too: you then sign in with the new one.
          </p>
          <PasswordForm />
        </section>
        <section className="card settings-section" aria-labelledby="public-profile-title">
          <h2 id="public-profile-title" className="section-title">
            Creator profile
          </h2>
          <p className="muted section-subtitle">Your handle and bio, as the marketplace shows them.</p>
          {user ? (
            <PublicProfileForm user={user} />
          ) : (
            <div className="skeleton skeleton-form" role="status" aria-label="Loading your profile" />
          )}
        </section>
      </div>
    </>
  );
}
