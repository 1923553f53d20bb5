import { describe, expect, it } from 'vitest';
import {
  clearFilters,
  EMPTY_SEARCH,
  hasFilters,
  parseSearch,
  searchToParams,
  toggleFacet,
  toListingQuery,
} from './searchState';

describe('search state in the URL', () => {
  it('reads every parameter, and writes them back the same', () => {
    const query = 'q=contract+review&mode=semantic&category=legal&tags=contracts%2Crisk&provider=openai&language=pt-BR&licence=open&min_price=0&max_price=0.05&sort=newest';
    const state = parseSearch(new URLSearchParams(query));
    expect(state).toEqual({
      q: 'contract review',
      mode: 'semantic',
      category: 'legal',
      tags: ['contracts', 'risk'],
      provider: 'openai',
      language: 'pt-BR',
      licence: 'open',
      minPrice: '0',
      maxPrice: '0.05',
      sort: 'newest',
    });
    expect(searchToParams(state).toString()).toBe(query);
  });

  it('leaves the defaults out, so a plain search has a short link', () => {
    expect(searchToParams(EMPTY_SEARCH).toString()).toBe('');
    expect(searchToParams({ ...EMPTY_SEARCH, q: '  sql  ' }).toString()).toBe('q=sql');
  });

  it('drops what a hand-edited URL gets wrong instead of sending it', () => {
    const state = parseSearch(
      new URLSearchParams('mode=telepathy&sort=random&licence=gpl&min_price=-1&max_price=1e3&tags=Ok,x,bad tag,ok,good-tag&category=<script>'),
    );
    expect(state).toEqual({ ...EMPTY_SEARCH, tags: ['ok', 'good-tag'] });
    expect(parseSearch(new URLSearchParams(`q=${'a'.repeat(300)}`)).q).toHaveLength(200);
  });

  it('asks the API for the mode only with words, and for relevance only with words', () => {
    expect(toListingQuery({ ...EMPTY_SEARCH, mode: 'semantic', sort: 'relevance' })).toEqual({});
    expect(toListingQuery({ ...EMPTY_SEARCH, q: ' budget ', mode: 'semantic', sort: 'relevance' })).toEqual({
      q: 'budget',
      mode: 'semantic',
      sort: 'relevance',
    });
    expect(
      toListingQuery({ ...EMPTY_SEARCH, tags: ['a1', 'b2'], licence: 'sealed', minPrice: '0.01', maxPrice: '2', sort: 'trending' }),
    ).toEqual({ tags: 'a1,b2', licence: 'sealed', min_price: '0.01', max_price: '2', sort: 'trending' });
  });

  it('toggles facets: tags add up, the others take one value', () => {
    let state = toggleFacet(EMPTY_SEARCH, 'tags', 'contracts');
    state = toggleFacet(state, 'tags', 'risk');
    expect(state.tags).toEqual(['contracts', 'risk']);
    expect(toggleFacet(state, 'tags', 'contracts').tags).toEqual(['risk']);

    state = toggleFacet(state, 'category', 'legal');
    expect(state.category).toBe('legal');
    expect(toggleFacet(state, 'category', 'coding').category).toBe('coding');
    expect(toggleFacet(state, 'category', 'legal').category).toBe('');
    expect(toggleFacet(state, 'licence', 'sealed').licence).toBe('sealed');
    expect(toggleFacet(toggleFacet(state, 'licence', 'sealed'), 'licence', 'sealed').licence).toBe('');

    expect(hasFilters(state)).toBe(true);
    const cleared = clearFilters({ ...state, q: 'x', mode: 'keyword', sort: 'newest' });
    expect(cleared).toEqual({ ...EMPTY_SEARCH, q: 'x', mode: 'keyword', sort: 'newest' });
    expect(hasFilters(cleared)).toBe(false);
  });
});
