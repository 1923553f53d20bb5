import type { CatalogSort, Licence, ListingQuery, SearchMode } from './api';

/**
 * The search page's state, kept in the URL (`/marketplace/search?q=...&category=...`) so a
 * search can be shared, bookmarked and walked back with the browser's history. The query
 * parameters are named like the API's, and anything a hand-edited URL gets wrong is dropped
 * rather than sent.
 */
export interface SearchState {
  q: string;
  mode: SearchMode;
  category: string;
  tags: string[];
  provider: string;
  language: string;
  licence: Licence | '';
  minPrice: string;
  maxPrice: string;
  /** '' lets the server choose: relevance with words, trending without. */
  sort: CatalogSort | '';
}

/** The facets a result page counts, as the API names them. */
export type FacetName = 'category' | 'tags' | 'provider' | 'language' | 'licence';

export const SEARCH_MODES: readonly SearchMode[] = ['keyword', 'semantic', 'hybrid'];
export const SORTS: readonly CatalogSort[] = ['relevance', 'trending', 'newest', 'most_used'];
const LICENCES: readonly Licence[] = ['open', 'sealed'];

/** How long typing must pause before the search runs. */
export const SEARCH_DEBOUNCE_MS = 300;
/** The server's default mode: words and meaning, ranks fused. */
export const DEFAULT_MODE: SearchMode = 'hybrid';
/** The API refuses longer queries. */
export const MAX_QUERY_CHARS = 200;
/** Credits as the API reads them: digits, and at most six decimals. */
export const PRICE_PATTERN = /^\d{1,12}(\.\d{1,6})?$/;
const TAG_PATTERN = /^[a-z0-9-]{2,32}$/;

export const EMPTY_SEARCH: SearchState = {
  q: '',
  mode: DEFAULT_MODE,
  category: '',
  tags: [],
  provider: '',
  language: '',
  licence: '',
  minPrice: '',
  maxPrice: '',
  sort: '',
};

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | undefined {
  return allowed.find((item) => item === value);
}

/** A short token (a slug, a provider, a language tag): trimmed, and dropped when it could not be one. */
function token(value: string | null): string {
  const text = value?.trim() ?? '';
  return /^[A-Za-z0-9._-]{1,64}$/.test(text) ? text : '';
}

/** Reads the state from the URL's query; unknown or malformed values fall back to the defaults. */
export function parseSearch(params: URLSearchParams): SearchState {
  const tags = (params.get('tags') ?? '')
    .split(',')
    .map((tag) => tag.trim().toLowerCase())
    .filter((tag) => TAG_PATTERN.test(tag));
  const price = (value: string | null) => {
    const text = value?.trim() ?? '';
    return PRICE_PATTERN.test(text) ? text : '';
  };
  return {
    q: (params.get('q') ?? '').slice(0, MAX_QUERY_CHARS),
    mode: oneOf(params.get('mode'), SEARCH_MODES) ?? DEFAULT_MODE,
    category: token(params.get('category')),
    tags: [...new Set(tags)],
    provider: token(params.get('provider')),
    language: token(params.get('language')),
    licence: oneOf(params.get('licence'), LICENCES) ?? '',
    minPrice: price(params.get('min_price')),
    maxPrice: price(params.get('max_price')),
    sort: oneOf(params.get('sort'), SORTS) ?? '',
  };
}

/** The URL query for a state, defaults left out so links stay short. */
export function searchToParams(state: SearchState): URLSearchParams {
  const params = new URLSearchParams();
  const q = state.q.trim();
  if (q) params.set('q', q);
  if (state.mode !== DEFAULT_MODE) params.set('mode', state.mode);
  if (state.category) params.set('category', state.category);
  if (state.tags.length > 0) params.set('tags', state.tags.join(','));
  if (state.provider) params.set('provider', state.provider);
  if (state.language) params.set('language', state.language);
  if (state.licence) params.set('licence', state.licence);
  if (state.minPrice) params.set('min_price', state.minPrice);
  if (state.maxPrice) params.set('max_price', state.maxPrice);
  if (state.sort) params.set('sort', state.sort);
  return params;
}

/**
 * What to ask `GET /v1/agents` for. The mode matters only with words, and "relevance"
 * only ranks words: without them the server's default order (trending) applies.
 */
export function toListingQuery(state: SearchState): ListingQuery {
  const query: ListingQuery = {};
  const q = state.q.trim();
  if (q) {
    query.q = q;
    query.mode = state.mode;
  }
  if (state.category) query.category = state.category;
  if (state.tags.length > 0) query.tags = state.tags.join(',');
  if (state.provider) query.provider = state.provider;
  if (state.language) query.language = state.language;
  if (state.licence) query.licence = state.licence;
  if (state.minPrice) query.min_price = state.minPrice;
  if (state.maxPrice) query.max_price = state.maxPrice;
  if (state.sort && !(state.sort === 'relevance' && !q)) query.sort = state.sort;
  return query;
}

/** True when `value` is selected for `facet`. */
export function isFacetSelected(state: SearchState, facet: FacetName, value: string): boolean {
  return facet === 'tags' ? state.tags.includes(value) : state[facet] === value;
}

/**
 * The state with one facet value switched on or off. Tags add up (an agent must have every
 * selected tag); the other facets take one value, so choosing another replaces it.
 */
export function toggleFacet(state: SearchState, facet: FacetName, value: string): SearchState {
  if (facet === 'tags') {
    const tags = state.tags.includes(value) ? state.tags.filter((tag) => tag !== value) : [...state.tags, value];
    return { ...state, tags };
  }
  if (facet === 'licence') {
    const licence = oneOf(value, LICENCES) ?? '';
    return { ...state, licence: state.licence === licence ? '' : licence };
  }
  return { ...state, [facet]: state[facet] === value ? '' : value };
}

/** True when any filter (not the words, mode or sort) narrows the results. */
export function hasFilters(state: SearchState): boolean {
  return Boolean(
    state.category ||
      state.tags.length > 0 ||
      state.provider ||
      state.language ||
      state.licence ||
      state.minPrice ||
      state.maxPrice,
  );
}

/** The state without any filter, keeping the words, mode and sort. */
export function clearFilters(state: SearchState): SearchState {
  return { ...EMPTY_SEARCH, q: state.q, mode: state.mode, sort: state.sort };
}
