import { describe, expect, it } from 'vitest';
import { linkTarget, tokenFromHash } from './links';

describe('tokenFromHash', () => {
  it('reads the token of a #token= fragment', () => {
    expect(tokenFromHash('#token=abc-123_x')).toBe('abc-123_x');
    expect(tokenFromHash('token=abc')).toBe('abc');
    expect(tokenFromHash('#other=1&token=a%2Bb')).toBe('a+b');
  });

  it('answers null without one', () => {
    for (const hash of ['', '#', '#token=', '#token=%20', '#tokens=abc']) expect(tokenFromHash(hash)).toBeNull();
  });
});

describe('linkTarget', () => {
  it('opens a confirmation link on this site, whatever host and port the mail names', () => {
    expect(linkTarget('http://127.0.0.1:8080/verify-email#token=t1')).toEqual({ inApp: '/verify-email#token=t1' });
    expect(linkTarget('https://agora.example/verify-email#token=t2')).toEqual({ inApp: '/verify-email#token=t2' });
  });

  it('leaves any other link as it is', () => {
    expect(linkTarget('https://agora.example/account')).toEqual({ external: 'https://agora.example/account' });
    expect(linkTarget('https://agora.example/verify-email')).toEqual({ external: 'https://agora.example/verify-email' });
    expect(linkTarget('http://[bad')).toEqual({ external: 'http://[bad' });
  });
});
