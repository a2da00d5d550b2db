import { describe, expect, it } from 'vitest';
import { urlWithoutIds } from './span-urls';

describe('urlWithoutIds', () => {
  it('replaces Clerk ids in the path and drops the query', () => {
    expect(urlWithoutIds('https://api.clerk.com/v1/users/user_2abcDEF123456?x=1')).toEqual({ full: 'https://api.clerk.com/v1/users/{id}', path: '/v1/users/{id}' });
    expect(urlWithoutIds('http://localhost:3001/v1/organizations/org_29w9UfWQr1/memberships?user_id=user_2abcDEF123456').path).toBe('/v1/organizations/{id}/memberships');
    // A 27-character id without a digit is still an id.
    expect(urlWithoutIds('https://api.clerk.com/v1/users/user_abcdefghijklmnopqrstuvwxyzA').path).toBe('/v1/users/{id}');
  });

  it('keeps the path segments that are not ids', () => {
    expect(urlWithoutIds('http://localhost:3001/v1/users/count').full).toBe('http://localhost:3001/v1/users/count');
    expect(urlWithoutIds('http://localhost:3001/v1/organization_memberships').path).toBe('/v1/organization_memberships');
  });
});
