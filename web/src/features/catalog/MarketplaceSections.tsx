import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import type { AgentCard, ListingQuery } from './api';
import { errorMessage } from '../../api/problem';
import { useAgentListing, useCategories, useCategoryNames } from './queries';
import { AgentGrid, AgentGridSkeleton } from './AgentCard';
import { formatCount } from '../../format/counts';
import { MAX_QUERY_CHARS } from './searchState';

/** How many agents the featured row shows. */
const FEATURED = 3;

/**
 * Featured agents: the most saved, demo agents first among equals. The API has no
 * "featured" flag or "most saved" order, so this picks from a page of the most used.
 */
function pickFeatured(cards: AgentCard[], count = FEATURED): AgentCard[] {
  return [...cards]
    .sort((a, b) => b.save_count - a.save_count || Number(b.is_demo) - Number(a.is_demo))
    .slice(0, count);
}

/** The search box of the marketplace home: sends the words to the search page. */
export function MarketplaceSearchBox({ autoFocus = false }: { autoFocus?: boolean }) {
  const navigate = useNavigate();
  const [text, setText] = useState('');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const q = text.trim();
    void navigate(q ? `/marketplace/search?q=${encodeURIComponent(q)}` : '/marketplace/search');
  };
  return (
    <form className="search-bar search-bar-hero" role="search" onSubmit={onSubmit} data-testid="marketplace-search">
      <label htmlFor="marketplace-q" className="visually-hidden">
        Search agents
      </label>
      <input
        id="marketplace-q"
        type="search"
        className="input search-input"
        placeholder="Search agents, or describe your task"
        value={text}
        maxLength={MAX_QUERY_CHARS}
        onChange={(event) => setText(event.target.value)}
        // Only where the page is the search itself (the marketplace), not on the landing page.
        autoFocus={autoFocus}
      />
      <button type="submit" className="button button-primary">
        Search
      </button>
    </form>
  );
}

function Row({ title, query, pick, more, testId }: {
  title: string;
  query: ListingQuery;
  pick?: (cards: AgentCard[]) => AgentCard[];
  more: string;
  testId: string;
}) {
  const categoryNames = useCategoryNames();
  const { data, error, isPending } = useAgentListing(query);
  const cards = data ? (pick ? pick(data.agents) : data.agents) : [];
  return (
    <section className="market-section" aria-labelledby={`${testId}-title`} data-testid={testId}>
      <div className="market-section-head">
        <h2 id={`${testId}-title`} className="section-title">
          {title}
        </h2>
        <Link to={more} className="text-link">
          See all →
        </Link>
      </div>
      {isPending ? (
        <AgentGridSkeleton count={pick ? FEATURED : 4} label={`Loading ${title.toLowerCase()}`} />
      ) : error ? (
        <p className="form-alert" role="alert">
          Could not load {title.toLowerCase()}: {errorMessage(error)}
        </p>
      ) : cards.length === 0 ? (
        <p className="muted">No published agents yet.</p>
      ) : (
        <AgentGrid cards={cards} categoryNames={categoryNames} testId={`${testId}-grid`} />
      )}
    </section>
  );
}

function Categories() {
  const { data, error, isPending } = useCategories();
  return (
    <section className="market-section" aria-labelledby="categories-title" data-testid="categories">
      <div className="market-section-head">
        <h2 id="categories-title" className="section-title">
          Categories
        </h2>
      </div>
      {isPending ? (
        <div className="skeleton skeleton-form" role="status" aria-label="Loading categories" />
      ) : error ? (
        <p className="form-alert" role="alert">
          Could not load the categories: {errorMessage(error)}
        </p>
      ) : (
        <ul className="category-grid">
          {data.map((category) => (
            <li key={category.slug}>
              <Link
                to={`/marketplace/search?category=${encodeURIComponent(category.slug)}`}
                className={`card category-card${category.agent_count === 0 ? ' is-empty' : ''}`}
                data-testid={`category-${category.slug}`}
              >
                <span className="category-name">{category.name}</span>
                <span className="category-description muted">{category.description}</span>
                <span className="category-count">
                  {formatCount(category.agent_count)} {category.agent_count === 1 ? 'agent' : 'agents'}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * Featured, trending and newest agents, and the categories: the marketplace's front page.
 * `compact` (the landing page) shows one row of each.
 */
export function MarketplaceSections({ compact = false }: { compact?: boolean }) {
  const limit = compact ? 4 : 8;
  return (
    <div className="market-sections">
      <Row
        title="Featured"
        query={{ sort: 'most_used', limit: 50 }}
        pick={pickFeatured}
        more="/marketplace/search?sort=most_used"
        testId="featured"
      />
      <Row title="Trending" query={{ sort: 'trending', limit }} more="/marketplace/search?sort=trending" testId="trending" />
      <Row title="Newest" query={{ sort: 'newest', limit }} more="/marketplace/search?sort=newest" testId="newest" />
      <Categories />
    </div>
  );
}
