import { Link } from 'react-router';
import { agentPath, splitAddress, type SavedView } from './api';
import { errorMessage } from '../../api/problem';
import { PinSelect } from './AgentActions';
import { AgentBadges, AgentIcon } from './AgentCard';
import { formatDate } from '../../format/dates';
import { useSavedAgents, useSavedMutations } from './queries';
import { useSession } from '../../session/useSession';
import { LoadError } from '../../ui/LoadError';
import './catalog.css';

function SavedRow({ entry, userId }: { entry: SavedView; userId: string }) {
  const parts = splitAddress(entry.address) ?? { handle: '', slug: '' };
  const { save, unsave } = useSavedMutations(userId, parts.handle, parts.slug);
  const busy = save.isPending || unsave.isPending;
  const error = save.error ?? unsave.error;
  const card = entry.card;
  return (
    <li className="card saved-row" data-testid="saved-row" data-address={entry.address}>
      <div className="saved-main">
        {card ? <AgentIcon name={card.name} address={card.address} /> : <span className="agent-icon" aria-hidden="true">?</span>}
        <div className="saved-text">
          {card ? (
            <>
              <h2 className="saved-name">
                <Link to={agentPath(entry.address)} className="agent-card-link">
                  {card.name}
                </Link>
              </h2>
              <p className="muted">
                by{' '}
                <Link to={`/creators/${encodeURIComponent(card.handle)}`} className="creator-link">
                  {card.creator_name}
                </Link>{' '}
                · saved {formatDate(entry.saved_at)}
              </p>
              <p>{card.summary}</p>
              <AgentBadges isDemo={card.is_demo} licence={card.licence} price={card.price_per_run} />
            </>
          ) : (
            <>
              <h2 className="saved-name">
                <code>{entry.address}</code>
              </h2>
              <p className="muted">No longer available: its creator made it private, or it was delisted.</p>
            </>
          )}
        </div>
      </div>
      <div className="saved-controls">
        {entry.newer_version_available && entry.latest_version != null && (
          <p className="update-flag" data-testid="newer-version">
            <span className="tag-badge tag-badge-update">Update</span> v{entry.latest_version} is out; you use v
            {entry.pinned_version}.{' '}
            <button
              type="button"
              className="link-button"
              onClick={() => save.mutate(entry.latest_version ?? null)}
              disabled={busy}
              data-testid="pin-latest"
            >
              Pin to v{entry.latest_version}
            </button>
          </p>
        )}
        {card && <PinSelect entry={entry} versions={[]} disabled={busy} onPin={(version) => save.mutate(version)} />}
        <button
          type="button"
          className="button button-small button-danger-outline"
          onClick={() => unsave.mutate()}
          disabled={busy}
          aria-label={`Remove ${card?.name ?? entry.address} from saved agents`}
        >
          {unsave.isPending ? 'Removing…' : 'Remove'}
        </button>
        {error && (
          <p className="field-error" role="alert">
            {errorMessage(error)}
          </p>
        )}
      </div>
    </li>
  );
}

/** /account/saved: the caller's library, with "newer version available" and the pins. */
export function SavedAgentsPage() {
  const { userId } = useSession();
  const saved = useSavedAgents();
  return (
    <>
      <title>Saved agents · Agora</title>
      <section aria-labelledby="saved-title">
        <h2 id="saved-title" className="section-title">
          Saved agents
        </h2>
        <p className="muted section-subtitle">
          Follow an agent's latest version, or pin one so it does not change under you.
        </p>
        {saved.isPending ? (
          <div className="skeleton skeleton-form" role="status" aria-label="Loading your saved agents" />
        ) : saved.error ? (
          <LoadError what="your saved agents" error={saved.error} onRetry={() => void saved.refetch()} />
        ) : saved.data.length === 0 ? (
          <p className="empty-state muted" data-testid="no-saved">
            Nothing saved yet. <Link to="/marketplace" className="text-link">Browse the marketplace</Link> and save the
            agents you like.
          </p>
        ) : (
          <ul className="saved-list" data-testid="saved-list">
            {saved.data.map((entry) => (
              <SavedRow key={entry.address} entry={entry} userId={userId ?? ''} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
