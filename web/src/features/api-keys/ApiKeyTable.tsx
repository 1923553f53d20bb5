import type { ApiKey, ApiKeyStatus } from '../../api/client';
import { ConfirmAction } from '../../ui/ConfirmAction';
import { formatDate, formatDateTime } from '../../format/dates';
import { useRevokeApiKey } from './queries';

const STATUS_LABELS: Record<ApiKeyStatus, string> = {
  active: 'Active',
  expired: 'Expired',
  revoked: 'Revoked',
};

function StatusBadge({ status }: { status: ApiKey['status'] }) {
  return (
    <span className={`badge badge-key-${status}`} data-testid="key-status">
      <span className="badge-dot" aria-hidden="true" />
      {STATUS_LABELS[status]}
    </span>
  );
}

function DateCell({ value, fallback }: { value: string | null | undefined; fallback: string }) {
  return value ? (
    <time dateTime={value} title={formatDateTime(value)}>
      {formatDate(value)}
    </time>
  ) : (
    <span className="muted">{fallback}</span>
  );
}

/** The revoke button of one key, with a confirm step: revoking cannot be undone. */
function RevokeCell({ apiKey, userId }: { apiKey: ApiKey; userId: string }) {
  const revoke = useRevokeApiKey(userId, apiKey.id);
  if (apiKey.status === 'revoked') {
    return apiKey.revoked_at ? (
      <span className="muted">Revoked {formatDate(apiKey.revoked_at)}</span>
    ) : (
      <span className="muted">Revoked</span>
    );
  }
  return (
    <ConfirmAction
      action={revoke}
      ask={{ label: 'Revoke', name: `Revoke ${apiKey.name}`, className: 'button button-small button-danger-outline' }}
      confirmName={`Confirm revoking ${apiKey.name}`}
      confirmLabel="Yes, revoke"
      pendingLabel="Revoking…"
      layout={{ kind: 'panel', question: 'Programs using this key stop working. Revoke it?' }}
    />
  );
}

/** Every key of the user, newest first, revoked and expired ones included. */
export function ApiKeyTable({ keys, userId }: { keys: ApiKey[]; userId: string }) {
  if (keys.length === 0) {
    return (
      <p className="empty-state muted" data-testid="no-keys">
        You have no API keys yet. Create one above to call the Agora API from your programs.
      </p>
    );
  }
  return (
    <div className="table-scroll">
      <table className="data-table" data-testid="api-key-table">
        <caption className="visually-hidden">Your API keys</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((apiKey) => (
            <tr
              key={apiKey.id}
              className={`key-row is-${apiKey.status}`}
              data-testid="api-key-row"
              data-key-id={apiKey.id}
              data-status={apiKey.status}
            >
              <th scope="row" className="key-name">
                {apiKey.name}
              </th>
              <td>
                <code className="key-prefix">{apiKey.prefix}…</code>
              </td>
              <td>
                <StatusBadge status={apiKey.status} />
              </td>
              <td>
                <DateCell value={apiKey.created_at} fallback="—" />
              </td>
              <td>
                <DateCell value={apiKey.last_used_at} fallback="Never" />
              </td>
              <td>
                <DateCell value={apiKey.expires_at} fallback="Never" />
              </td>
              <td className="key-actions">
                <RevokeCell apiKey={apiKey} userId={userId} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
