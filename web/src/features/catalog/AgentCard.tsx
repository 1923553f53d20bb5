import type { CSSProperties } from 'react';
import { Link } from 'react-router';
import { agentPath, type AgentCard, type ForkOrigin, type Licence } from './api';
import { formatCount } from '../../format/counts';
import { formatPriceShort, hueOf, initials } from './format';
import { Icon } from '../../ui/Icon';
import './catalog.css';

/**
 * An agent's icon: a monogram on a colour made from its address. Icons are upload keys
 * the UI cannot show yet, and nothing on a listing loads an image from elsewhere.
 */
export function AgentIcon({ name, address, size = 'medium' }: { name: string; address: string; size?: 'medium' | 'large' }) {
  const style = { '--icon-hue': hueOf(address) } as CSSProperties;
  return (
    <span className={`agent-icon agent-icon-${size}`} style={style} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

/** Demo, Sealed or Open, and the price: what to know before opening an agent. */
export function AgentBadges({ isDemo, licence, price }: { isDemo: boolean; licence: Licence; price: string }) {
  return (
    <span className="agent-badges">
      {isDemo && (
        <span className="tag-badge tag-badge-demo" data-testid="badge-demo" title="An example agent that comes with Agora">
          Demo
        </span>
      )}
      {licence === 'sealed' ? (
        <span className="tag-badge tag-badge-sealed" data-testid="badge-sealed" title="Its prompt is hidden, and it cannot be forked">
          Sealed
        </span>
      ) : (
        <span className="tag-badge tag-badge-open" data-testid="badge-open" title="Its prompt is visible, and it can be forked">
          Open
        </span>
      )}
      <span className="tag-badge tag-badge-price" data-testid="badge-price">
        {formatPriceShort(price)}
      </span>
    </span>
  );
}

/** "Forked from <address> (v<version>)": where a fork was copied from. */
export function ForkedFrom({ origin }: { origin: ForkOrigin }) {
  return (
    <p className="forked-from" data-testid="forked-from">
      Forked from{' '}
      <Link to={agentPath(origin.address)} className="text-link">
        {origin.address}
      </Link>{' '}
      (v{origin.version})
    </p>
  );
}

/** An agent in a grid of results: links to its page and to its creator's. */
export function AgentCardView({
  card,
  categoryName,
  preview = false,
}: {
  card: AgentCard;
  /** The category's display name, when known. */
  categoryName?: string | undefined;
  /** In the editor's preview nothing links anywhere. */
  preview?: boolean;
}) {
  return (
    <article className="card agent-card" data-testid="agent-card" data-address={card.address}>
      <div className="agent-card-head">
        <AgentIcon name={card.name} address={card.address} />
        <div className="agent-card-title">
          <h3>
            {preview ? (
              <span className="agent-card-name">{card.name || 'Untitled agent'}</span>
            ) : (
              <Link to={agentPath(card.address)} className="agent-card-name agent-card-link">
                {card.name}
              </Link>
            )}
          </h3>
          <p className="agent-card-creator muted">
            by{' '}
            {preview ? (
              card.creator_name
            ) : (
              <Link to={`/creators/${encodeURIComponent(card.handle)}`} className="creator-link">
                {card.creator_name}
              </Link>
            )}
          </p>
        </div>
      </div>
      <p className="agent-card-summary">{card.summary || <span className="muted">No summary yet.</span>}</p>
      <AgentBadges isDemo={card.is_demo} licence={card.licence} price={card.price_per_run} />
      <div className="agent-card-foot">
        <span className="agent-card-category">{categoryName ?? card.category}</span>
        <span className="agent-card-stats" aria-label={`${card.save_count} saves, ${card.fork_count} forks, ${card.run_count} runs`}>
          <span title="Saves">
            <Icon name="star" /> {formatCount(card.save_count)}
          </span>
          <span title="Forks">
            <Icon name="fork" /> {formatCount(card.fork_count)}
          </span>
          <span title="Runs">
            <Icon name="play" /> {formatCount(card.run_count)}
          </span>
        </span>
      </div>
      {card.tags.length > 0 && (
        <ul className="agent-card-tags" aria-label="Tags">
          {card.tags.slice(0, 4).map((tag) => (
            <li key={tag} className="chip chip-small">
              #{tag}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

/** A grid of cards, or the skeletons shown while it loads. */
export function AgentGrid({
  cards,
  categoryNames,
  testId = 'agent-grid',
}: {
  cards: AgentCard[];
  categoryNames?: Map<string, string>;
  testId?: string;
}) {
  return (
    <ul className="agent-grid" data-testid={testId}>
      {cards.map((card) => (
        <li key={card.id}>
          <AgentCardView card={card} categoryName={categoryNames?.get(card.category)} />
        </li>
      ))}
    </ul>
  );
}

export function AgentGridSkeleton({ count = 4, label }: { count?: number; label: string }) {
  return (
    <div className="agent-grid" role="status" aria-label={label}>
      {Array.from({ length: count }, (_, index) => (
        <div key={index} className="skeleton skeleton-agent" aria-hidden="true" />
      ))}
    </div>
  );
}
