import { describe, expect, it } from 'vitest';
import { carriesCredential, credentialFrom } from './authenticator.js';

describe('carriesCredential', () => {
  it('is true for every header credentialFrom reads a credential from', () => {
    const carriers = [{ authorization: 'Bearer sk_x' }, { 'x-api-key': 'sk_x' }];
    for (const headers of carriers) {
      expect(credentialFrom(headers)).not.toBeNull();
      expect(carriesCredential(headers)).toBe(true);
    }
  });

  it('is true for an empty or malformed credential too: the answer still depends on who asked', () => {
    expect(carriesCredential({ authorization: '' })).toBe(true);
    expect(carriesCredential({ authorization: 'Basic dTpw' })).toBe(true);
    expect(carriesCredential({ 'x-api-key': '' })).toBe(true);
  });

  it('is false for a request with no credential header', () => {
    expect(carriesCredential({ host: 'sift', cookie: 'a=b' })).toBe(false);
    expect(credentialFrom({ host: 'sift', cookie: 'a=b' })).toBeNull();
  });
});
