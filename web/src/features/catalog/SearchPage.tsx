import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { OFFLINE_EMBEDDING_MODEL, type CatalogSort, type SearchMode } from './api';
import { ApiError, errorMessage } from '../../api/problem';
import { AgentGrid, AgentGridSkeleton } from './AgentCard';
import { FacetPanel } from './FacetPanel';
import {
  clearFilters,
  hasFilters,
  MAX_QUERY_CHARS,
  parseSearch,
  PRICE_PATTERN,
  SEARCH_DEBOUNCE_MS,
  searchToParams,
  toggleFacet,
  toListingQuery,
  type FacetName,
  type SearchState,
} from './searchState';
import { useAgentSearch, useCategoryNames } from './queries';
import { LoadMoreButton } from '../../ui/LoadMoreButton';
import './catalog.css';

const MODES: { value: SearchMode; label: string; hint: string }[] = [
  { value: 'keyword', label: 'Keyword', hint: 'Agents whose name, tags or summary contain your words.' },
  { value: 'semantic', label: 'Describe your task', hint: 'Agents closest in meaning to what you want done.' },
  { value: 'hybrid', label: 'Both', hint: 'Keyword and meaning matches, ranked together.' },
];

const SORT_LABELS: Record<CatalogSort, string> = {
  relevance: 'Best match',
  trending: 'Trending',
  newest: 'Newest',
  most_used: 'Most used',
  top_rated: 'Top rated',
};

/** Min and max price, applied together when both read as credits and min ≤ max. */
function PriceFilter({ state, onApply }: { state: SearchState; onApply: (min: string, max: string) => void }) {
  const id = useId();
  const [min, setMin] = useState(state.minPrice);
  const [max, setMax] = useState(state.maxPrice);
  const [applied, setApplied] = useState({ min: state.minPrice, max: state.maxPrice });
  // Follow the URL when it changes from elsewhere (back, "Clear filters").
  if (applied.min !== state.minPrice || applied.max !== state.maxPrice) {
    setApplied({ min: state.minPrice, max: state.maxPrice });
    setMin(state.minPrice);
    setMax(state.maxPrice);
  }
  const minText = min.trim();
  const maxText = max.trim();
  let error: string | null = null;
  if ((minText && !PRICE_PATTERN.test(minText)) || (maxText && !PRICE_PATTERN.test(maxText))) {
    error = 'Enter credits such as 0 or 0.05.';
  } else if (minText && maxText && Number(minText) > Number(maxText)) {
    error = 'The minimum is above the maximum.';
  }
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!error) onApply(minText, maxText);
  };
  return (
    <form className="facet price-filter" onSubmit={onSubmit} noValidate aria-labelledby={`${id}-title`}>
      <p id={`${id}-title`} className="facet-title">
        Price per run (credits)
      </p>
      <div className="price-inputs">
        <label className="visually-hidden" htmlFor={`${id}-min`}>
          Minimum price
        </label>
        <input
          id={`${id}-min`}
          className="input input-small"
          inputMode="decimal"
          placeholder="Min"
          value={min}
          onChange={(event) => setMin(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
        />
        <span aria-hidden="true">–</span>
        <label className="visually-hidden" htmlFor={`${id}-max`}>
          Maximum price
        </label>
        <input
          id={`${id}-max`}
          className="input input-small"
          inputMode="decimal"
          placeholder="Max"
          value={max}
          onChange={(event) => setMax(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
        />
        <button type="submit" className="button button-small" disabled={Boolean(error)}>
          Apply
        </button>
      </div>
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
      <button type="button" className="link-button" onClick={() => onApply('0', '0')}>
        Free only
      </button>
    </form>
  );
}

function SearchError({ error, onRetry, onStartOver }: { error: unknown; onRetry: () => void; onStartOver: () => void }) {
  const problem = error instanceof ApiError ? error : null;
  const invalidCursor = problem?.status === 400 && problem.problem?.type.endsWith('/invalid-cursor');
  const fields = Object.entries(problem?.fieldErrors ?? {});
  return (
    <div className="form-alert search-error" role="alert" data-testid="search-error">
      <p>
        {invalidCursor
          ? 'The results changed since this page was loaded: start the search again.'
          : `Could not search: ${errorMessage(error)}`}
      </p>
      {fields.length > 0 && (
        <ul>
          {fields.map(([field, messages]) => (
            <li key={field}>
              <code>{field}</code> {messages.join(' ')}
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="button button-small" onClick={invalidCursor ? onStartOver : onRetry}>
        {invalidCursor ? 'Start again' : 'Try again'}
      </button>
    </div>
  );
}

/**
 * /marketplace/search: results as you type (debounced; a stale request is cancelled), the
 * search mode, facet filters with counts, price range, sort and "Load more". Everything but
 * the words being typed lives in the URL.
 */
export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => parseSearch(params), [params]);
  const categoryNames = useCategoryNames();
  const listing = useMemo(() => toListingQuery(state), [state]);
  const { results, startOver } = useAgentSearch(listing);

  const [filtersOpen, setFiltersOpen] = useState(false);
  // The words in the box: they reach the URL (and the API) once typing pauses.
  const [text, setText] = useState(state.q);
  const [urlQ, setUrlQ] = useState(state.q);
  if (urlQ !== state.q) {
    // The URL changed (back, forward, a link): show its words, unless they are what was typed.
    setUrlQ(state.q);
    if (text.trim() !== state.q) setText(state.q);
  }
  useEffect(() => {
    const q = text.trim();
    if (q === state.q) return;
    const timer = setTimeout(() => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          if (q) next.set('q', q);
          else next.delete('q');
          return next;
        },
        { replace: true },
      );
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, state.q, setParams]);

  /** A deliberate change (a filter, the mode, the sort): a new history entry. */
  const go = (next: SearchState) => setParams(searchToParams({ ...next, q: text.trim() }));
  const onToggle = (facet: FacetName, value: string) => go(toggleFacet(state, facet, value));

  const pages = results.data?.pages ?? [];
  const cards = pages.flatMap((page) => page.agents);
  const first = pages[0];
  const embeddingModel = first?.embedding_model;
  const searching = results.isFetching && !results.isFetchingNextPage;
  const q = state.q;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    // Enter runs the search at once, without waiting for the pause.
    const words = text.trim();
    if (words !== state.q) setParams(searchToParams({ ...state, q: words }), { replace: true });
  };

  return (
    <>
      <title>{q ? `“${q}” · Marketplace · Agora` : 'Search the marketplace · Agora'}</title>
      <div className="page-header">
        <div>
          <h1>Search the marketplace</h1>
          <p className="lead">Find an agent by name, or describe the task you want done.</p>
        </div>
      </div>

      <form className="search-bar" role="search" onSubmit={onSubmit} data-testid="search-form">
        <label htmlFor="search-q" className="visually-hidden">
          Search agents
        </label>
        <input
          id="search-q"
          type="search"
          className="input search-input"
          placeholder={state.mode === 'semantic' ? 'Describe your task, e.g. “check my contract for risky clauses”' : 'Search agents'}
          value={text}
          maxLength={MAX_QUERY_CHARS}
          onChange={(event) => setText(event.target.value)}
          autoComplete="off"
          data-testid="search-input"
        />
        <button type="submit" className="button button-primary">
          Search
        </button>
      </form>

      <div className="search-options">
        <fieldset className="segmented" data-testid="search-mode">
          <legend className="visually-hidden">Search mode</legend>
          {MODES.map((mode) => (
            <label key={mode.value} className={`segmented-option${state.mode === mode.value ? ' is-selected' : ''}`} title={mode.hint}>
              <input
                type="radio"
                name="mode"
                value={mode.value}
                checked={state.mode === mode.value}
                onChange={() => go({ ...state, mode: mode.value })}
              />
              {mode.label}
            </label>
          ))}
        </fieldset>
        <label className="sort-select">
          <span>Sort by</span>
          <select
            className="input input-small"
            value={state.sort || (q ? 'relevance' : 'trending')}
            onChange={(event) => go({ ...state, sort: event.target.value as CatalogSort })}
            data-testid="search-sort"
          >
            {(Object.keys(SORT_LABELS) as CatalogSort[]).map((sort) => (
              <option key={sort} value={sort} disabled={sort === 'relevance' && !q}>
                {SORT_LABELS[sort]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted search-mode-hint">{MODES.find((mode) => mode.value === state.mode)?.hint}</p>

      <div className="search-layout">
        <aside className={`search-filters${filtersOpen ? ' is-open' : ''}`} aria-label="Filters">
          <div className="search-filters-head">
            <h2 className="section-title">Filters</h2>
            {hasFilters(state) && (
              <button type="button" className="link-button" onClick={() => go(clearFilters(state))}>
                Clear all
              </button>
            )}
            {/* Small screens only (CSS): the filters fold away above the results. */}
            <button
              type="button"
              className="button button-small filters-toggle"
              aria-expanded={filtersOpen}
              aria-controls="search-filters-body"
              onClick={() => setFiltersOpen(!filtersOpen)}
            >
              {filtersOpen ? 'Hide' : 'Show'}
            </button>
          </div>
          <div id="search-filters-body" className="search-filters-body">
            <FacetPanel facets={first?.facets} state={state} categoryNames={categoryNames} onToggle={onToggle} />
            <PriceFilter state={state} onApply={(min, max) => go({ ...state, minPrice: min, maxPrice: max })} />
          </div>
        </aside>

        <section className="search-results" aria-labelledby="results-title" aria-busy={searching}>
          <h2 id="results-title" className="visually-hidden">
            Results
          </h2>
          <p className="search-status muted" role="status" aria-live="polite" data-testid="search-status">
            {searching ? 'Searching…' : first ? `${cards.length}${results.hasNextPage ? '+' : ''} agents` : ''}
          </p>
          {q && embeddingModel && (
            <p
              className={`embedding-note${embeddingModel === OFFLINE_EMBEDDING_MODEL ? ' is-offline' : ''}`}
              data-testid="embedding-note"
            >
              {embeddingModel === OFFLINE_EMBEDDING_MODEL ? (
                <>
                  <strong>Offline embeddings:</strong> ranked by shared words and word parts, not by meaning, so
                  these results are approximate. An embedding provider gives real semantic search.
                </>
              ) : (
                <>
                  Ranked by meaning with <code>{embeddingModel}</code>.
                </>
              )}
            </p>
          )}

          {results.isPending ? (
            <AgentGridSkeleton count={6} label="Loading agents" />
          ) : results.isError && !results.isFetchNextPageError ? (
            <SearchError
              error={results.error}
              onRetry={() => void results.refetch()}
              onStartOver={startOver}
            />
          ) : cards.length === 0 ? (
            <div className="empty-panel" data-testid="search-empty">
              <h3>No agents match</h3>
              <p className="muted">
                {q ? 'Try other words, or describe the task in a sentence.' : 'Try fewer filters.'}
              </p>
              {hasFilters(state) && (
                <button type="button" className="button" onClick={() => go(clearFilters(state))}>
                  Clear filters
                </button>
              )}
            </div>
          ) : (
            <>
              <AgentGrid cards={cards} categoryNames={categoryNames} testId="search-results" />
              {results.isFetchNextPageError && (
                <SearchError
                  error={results.error}
                  onRetry={() => void results.fetchNextPage()}
                  onStartOver={startOver}
                />
              )}
              {results.hasNextPage && !results.isFetchNextPageError && (
                <LoadMoreButton pages={results} testId="load-more" />
              )}
            </>
          )}
        </section>
      </div>
    </>
  );
}
