import { describe, expect, it } from 'vitest';
import { nextQuery, safeNextPath } from './nextPath';

describe('safeNextPath', () => {
  it('keeps paths on this site', () => {
    expect(safeNextPath('/account/api-keys')).toBe('/account/api-keys');
    expect(safeNextPath('/status?x=1#top')).toBe('/status?x=1#top');
  });

  it('falls back for anything that leaves the site or loops back to the forms', () => {
    for (const next of [null, '', 'https://evil.example', '//evil.example', '/\\evil.example', 'account', '/signin', '/signup?next=/x']) {
      expect(safeNextPath(next)).toBe('/account');
    }
    expect(safeNextPath(null, '/')).toBe('/');
  });
});

describe('nextQuery', () => {
  it('encodes the path, and leaves out the home page and the forms', () => {
    expect(nextQuery('/status')).toBe('?next=%2Fstatus');
    expect(nextQuery('/')).toBe('');
    expect(nextQuery('/signin?next=%2Fa')).toBe('');
  });
});
