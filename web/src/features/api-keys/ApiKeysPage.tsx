import { useRef, useState, type FormEvent } from 'react';
import type { CreatedApiKey } from '../../api/client';
import type { FieldErrors } from '../../api/problem';
import { ApiKeyTable } from './ApiKeyTable';
import { endOfDayIso, todayIsoDate } from '../../format/dates';
import { NewKeyPanel } from './NewKeyPanel';
import { Field } from '../../ui/forms/Field';
import { FormAlert, SubmitButton } from '../../ui/forms/FormAlert';
import { focusFirstInvalid, formErrorsFrom, mergeErrors, useSubmitFailure } from '../../ui/forms/formErrors';
import { useSession } from '../../session/useSession';
import { useApiKeys, useCreateApiKey } from './queries';
import { LoadError } from '../../ui/LoadError';
import './api-keys.css';

const NAME_MAX = 100;

function CreateKeyForm({ userId, onCreated }: { userId: string; onCreated: (created: CreatedApiKey) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [name, setName] = useState('');
  const [expiresOn, setExpiresOn] = useState('');
  const [today] = useState(todayIsoDate);
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [cooldown, onError] = useSubmitFailure(formRef);
  const create = useCreateApiKey(userId, {
    onSuccess: (created) => {
      onCreated(created);
      setName('');
      setExpiresOn('');
    },
    onError,
  });
  const errors = mergeErrors(localErrors, formErrorsFrom(create.error, ['name', 'expires_at']));

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const trimmed = name.trim();
    const found: FieldErrors = {};
    if (!trimmed) found.name = ['Give the key a name, such as what it is for.'];
    else if ([...trimmed].length > NAME_MAX) found.name = [`Use at most ${NAME_MAX} characters.`];
    const expiresAt = expiresOn ? endOfDayIso(expiresOn) : null;
    if (expiresOn && !expiresAt) found.expires_at = ['Enter a date such as 2030-12-31.'];
    setLocalErrors(found);
    if (Object.keys(found).length > 0) {
      create.reset();
      setTimeout(() => focusFirstInvalid(formRef.current));
      return;
    }
    create.mutate({ name: trimmed, ...(expiresAt ? { expires_at: expiresAt } : {}) });
  };

  return (
    <form ref={formRef} className="form form-inline" onSubmit={onSubmit} noValidate data-testid="create-key-form">
      <FormAlert message={errors.form} requestId={errors.requestId} />
      <div className="form-row">
        <Field
          name="name"
          label="Name"
          placeholder="CI pipeline"
          maxLength={NAME_MAX}
          autoComplete="off"
          value={name}
          onChange={(event) => setName(event.target.value)}
          hint="What the key is for, so you can tell keys apart."
          errors={errors.fields.name}
        />
        <Field
          name="expires_at"
          label="Expires on"
          optional
          type="date"
          min={today}
          value={expiresOn}
          onChange={(event) => setExpiresOn(event.target.value)}
          hint="The key stops working at the end of this day. Leave empty for a key that does not expire."
          errors={errors.fields.expires_at}
        />
      </div>
      <div className="form-actions">
        <SubmitButton pending={create.isPending} pendingLabel="Creating key…" cooldown={cooldown}>
          Create API key
        </SubmitButton>
      </div>
    </form>
  );
}

/**
 * /account/api-keys: create keys (the secret is shown once), list them and revoke them.
 * The secret lives only in this page's state: leaving the page forgets it.
 */
export function ApiKeysPage() {
  const { userId } = useSession();
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  // The guard above only renders this page signed in.
  const keys = useApiKeys();

  return (
    <>
      <title>API keys · Agora</title>
      {created && (
        <NewKeyPanel name={created.api_key.name} secret={created.key} onDismiss={() => setCreated(null)} />
      )}
      <section className="card settings-section" aria-labelledby="create-key-title">
        <h2 id="create-key-title" className="section-title">
          Create an API key
        </h2>
        <p className="muted section-subtitle">
          Programs send an API key instead of signing in. A key acts as you: keep it secret.
        </p>
        {userId && <CreateKeyForm userId={userId} onCreated={setCreated} />}
      </section>
      <section className="card settings-section" aria-labelledby="keys-title">
        <h2 id="keys-title" className="section-title">
          Your API keys
        </h2>
        {keys.isPending ? (
          <div className="skeleton skeleton-form" role="status" aria-label="Loading your API keys" />
        ) : keys.data ? (
          <ApiKeyTable keys={keys.data} userId={userId ?? ''} />
        ) : (
          <LoadError what="your API keys" error={keys.error} onRetry={() => void keys.refetch()} retrying={keys.isFetching} />
        )}
      </section>
    </>
  );
}
