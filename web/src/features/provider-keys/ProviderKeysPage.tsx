import { useRef, useState, type FormEvent } from 'react';
import type { CreateProviderKeyRequest, CredentialProvider, CredentialView } from './api';
import type { FieldErrors } from '../../api/problem';
import { formatDate } from '../../format/dates';
import { ConfirmAction } from '../../ui/ConfirmAction';
import { SelectField } from '../../ui/forms/Controls';
import { Field } from '../../ui/forms/Field';
import { FormAlert, FormNotice, SubmitButton } from '../../ui/forms/FormAlert';
import { focusFirstInvalid, formErrorsFrom, mergeErrors, useSubmitFailure } from '../../ui/forms/formErrors';
import { useSession } from '../../session/useSession';
import { useAddProviderKey, useDeleteProviderKey, useProviderKeys } from './queries';
import { LoadError } from '../../ui/LoadError';

/** What the form asks for each kind of credential. */
interface ProviderInfo {
  value: CredentialProvider;
  label: string;
  /** The URL field, for the providers that need one (and then the key is optional). */
  url?: { label: string; placeholder: string; hint: string; missing: string };
  keyHint: string;
  namePlaceholder: string;
  nameHint: string;
  /** What deleting it does to runs. */
  deleteQuestion: string;
}

const KEY_HINT = 'Sent once and stored encrypted: Agora never shows it again, only its last four characters.';
const PUBLIC_ONLY = 'A public address: private, loopback and cloud metadata addresses are refused.';
const MODEL_NAME_HINT = 'Lower-case letters, digits and hyphens. Your agents name an endpoint by it.';
const MODEL_DELETE = 'Runs that use this key will fall back or fail. Delete it?';

const PROVIDERS: readonly ProviderInfo[] = [
  {
    value: 'openai',
    label: 'OpenAI',
    keyHint: KEY_HINT,
    namePlaceholder: 'my-openai',
    nameHint: MODEL_NAME_HINT,
    deleteQuestion: MODEL_DELETE,
  },
  {
    value: 'anthropic',
    label: 'Anthropic',
    keyHint: KEY_HINT,
    namePlaceholder: 'my-anthropic',
    nameHint: MODEL_NAME_HINT,
    deleteQuestion: MODEL_DELETE,
  },
  {
    value: 'openai_compatible',
    label: 'OpenAI-compatible endpoint',
    url: {
      label: 'Base URL',
      placeholder: 'https://llm.example.com/v1',
      hint: PUBLIC_ONLY,
      missing: 'Enter the endpoint’s base URL, such as https://llm.example.com/v1.',
    },
    keyHint: KEY_HINT,
    namePlaceholder: 'my-vllm',
    nameHint: MODEL_NAME_HINT,
    deleteQuestion: MODEL_DELETE,
  },
  {
    value: 'mcp_server',
    label: 'MCP server',
    url: {
      label: 'Server URL',
      placeholder: 'https://mcp.example.com/mcp',
      hint: `The server’s Streamable HTTP endpoint. ${PUBLIC_ONLY}`,
      missing: 'Enter the server’s URL, such as https://mcp.example.com/mcp.',
    },
    keyHint:
      'Sent to this server only, as a bearer token, and stored encrypted: Agora never shows it again, only its last four characters.',
    namePlaceholder: 'my-tools',
    nameHint: 'Lower-case letters, digits and hyphens. Your agents name the server by it in their tools.',
    deleteQuestion: 'Agents that use this server’s tools can no longer call them. Delete it?',
  },
];

function providerInfo(provider: string): ProviderInfo | undefined {
  return PROVIDERS.find((entry) => entry.value === provider);
}

function providerName(provider: string): string {
  return providerInfo(provider)?.label ?? provider;
}

/** The API's rule for names: 1 to 40 lower-case letters, digits and hyphens. */
const NAME = /^[a-z0-9-]{1,40}$/;
const FIELDS = ['name', 'provider', 'api_key', 'base_url'] as const;

function AddKeyForm({ userId }: { userId: string }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [name, setName] = useState('');
  const [provider, setProvider] = useState<CredentialProvider>('openai');
  const [apiKey, setApiKey] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [added, setAdded] = useState<string | null>(null);
  const [cooldown, onError] = useSubmitFailure(formRef);
  // Every provider in the select is in PROVIDERS.
  const info = providerInfo(provider) ?? PROVIDERS[0]!;
  const url = info.url;
  const create = useAddProviderKey(userId, {
    onSuccess: (created) => {
      setAdded(created.name);
      setName('');
      setApiKey('');
      setBaseUrl('');
    },
    onError,
  });
  const errors = mergeErrors(localErrors, formErrorsFrom(create.error, FIELDS));

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setAdded(null);
    const found: FieldErrors = {};
    const trimmedName = name.trim();
    const trimmedKey = apiKey.trim();
    const trimmedUrl = baseUrl.trim();
    if (!trimmedName) found.name = ['Give the key a name, such as my-openai.'];
    else if (!NAME.test(trimmedName)) found.name = ['Use 1 to 40 lower-case letters, digits and hyphens.'];
    if (!url && !trimmedKey) found.api_key = ['Paste the API key from your provider’s dashboard.'];
    if (url) {
      if (!trimmedUrl) found.base_url = [url.missing];
      else if (!/^https?:\/\//i.test(trimmedUrl)) found.base_url = [`Use an http(s) URL, such as ${url.placeholder}.`];
    }
    setLocalErrors(found);
    if (Object.keys(found).length > 0) {
      create.reset();
      setTimeout(() => focusFirstInvalid(formRef.current));
      return;
    }
    const request: CreateProviderKeyRequest = {
      name: trimmedName,
      provider,
      ...(trimmedKey ? { api_key: trimmedKey } : {}),
      ...(url ? { base_url: trimmedUrl } : {}),
    };
    create.mutate(request);
  };

  return (
    <form ref={formRef} className="form" onSubmit={onSubmit} noValidate data-testid="provider-key-form">
      <FormAlert message={errors.form} requestId={errors.requestId} />
      <div className="form-row">
        <Field
          name="name"
          label="Name"
          placeholder={info.namePlaceholder}
          maxLength={40}
          autoComplete="off"
          value={name}
          onChange={(event) => setName(event.target.value)}
          hint={info.nameHint}
          errors={errors.fields.name}
        />
        <SelectField
          name="provider"
          label="Provider"
          value={provider}
          onChange={(event) => setProvider(event.target.value as CredentialProvider)}
          errors={errors.fields.provider}
        >
          {PROVIDERS.map((entry) => (
            <option key={entry.value} value={entry.value}>
              {entry.label}
            </option>
          ))}
        </SelectField>
      </div>
      <Field
        name="api_key"
        label="API key"
        optional={Boolean(url)}
        type="password"
        autoComplete="off"
        spellCheck={false}
        value={apiKey}
        onChange={(event) => setApiKey(event.target.value)}
        hint={info.keyHint}
        errors={errors.fields.api_key}
      />
      {url && (
        <Field
          name="base_url"
          label={url.label}
          type="url"
          inputMode="url"
          autoComplete="off"
          placeholder={url.placeholder}
          value={baseUrl}
          onChange={(event) => setBaseUrl(event.target.value)}
          hint={url.hint}
          errors={errors.fields.base_url}
        />
      )}
      <div className="form-actions">
        <SubmitButton pending={create.isPending} pendingLabel="Saving…" cooldown={cooldown}>
          Add provider key
        </SubmitButton>
        {added && <FormNotice testId="provider-key-added">Saved “{added}”.</FormNotice>}
      </div>
    </form>
  );
}

function DeleteCell({ credential, userId }: { credential: CredentialView; userId: string }) {
  const remove = useDeleteProviderKey(userId, credential.id);
  return (
    <ConfirmAction
      action={remove}
      ask={{ label: 'Delete', name: `Delete ${credential.name}`, className: 'button button-small button-danger-outline' }}
      confirmName={`Confirm deleting ${credential.name}`}
      confirmLabel="Yes, delete"
      pendingLabel="Deleting…"
      layout={{ kind: 'panel', question: providerInfo(credential.provider)?.deleteQuestion ?? MODEL_DELETE }}
    />
  );
}

function KeyTable({ keys, userId }: { keys: CredentialView[]; userId: string }) {
  if (keys.length === 0) {
    return (
      <p className="empty-state muted" data-testid="no-provider-keys">
        No provider keys yet. Runs use Agora’s own models and are charged to your credits.
      </p>
    );
  }
  return (
    <div className="table-scroll">
      <table className="data-table" data-testid="provider-key-table">
        <caption className="visually-hidden">Your provider keys</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Provider</th>
            <th scope="col">Key</th>
            <th scope="col">Base URL</th>
            <th scope="col">Added</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((credential) => (
            <tr key={credential.id} data-testid="provider-key-row" data-name={credential.name}>
              <th scope="row" className="key-name">
                {credential.name}
              </th>
              <td>{providerName(credential.provider)}</td>
              <td>
                {credential.key_last_four ? (
                  <code className="key-prefix" data-testid="key-last-four">
                    …{credential.key_last_four}
                  </code>
                ) : (
                  <span className="muted">No key</span>
                )}
              </td>
              <td>{credential.base_url ? <code>{credential.base_url}</code> : <span className="muted">—</span>}</td>
              <td>
                <time dateTime={credential.created_at}>{formatDate(credential.created_at)}</time>
              </td>
              <td className="key-actions">
                <DeleteCell credential={credential} userId={userId} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * /account/provider-keys: your own OpenAI, Anthropic or OpenAI-compatible keys, for runs on
 * your account, and your MCP servers, whose tools your agents may use.
 */
export function ProviderKeysPage() {
  const { userId } = useSession();
  const keys = useProviderKeys();
  return (
    <>
      <title>Provider keys · Agora</title>
      <section className="card settings-section" aria-labelledby="add-provider-key-title">
        <h2 id="add-provider-key-title" className="section-title">
          Add a provider key
        </h2>
        <p className="muted section-subtitle">
          With a key of your own, runs of agents on that provider use your account with the provider instead of Agora’s.
          An MCP server (Streamable HTTP) lends its tools to your agents: pick them in the agent editor’s Tools.
        </p>
        {userId && <AddKeyForm userId={userId} />}
      </section>
      <section className="card settings-section" aria-labelledby="provider-keys-title">
        <h2 id="provider-keys-title" className="section-title">
          Your provider keys
        </h2>
        {keys.isPending ? (
          <div className="skeleton skeleton-form" role="status" aria-label="Loading your provider keys" />
        ) : keys.data ? (
          <KeyTable keys={keys.data} userId={userId ?? ''} />
        ) : (
          <LoadError what="your provider keys" error={keys.error} onRetry={() => void keys.refetch()} retrying={keys.isFetching} />
        )}
      </section>
    </>
  );
}
