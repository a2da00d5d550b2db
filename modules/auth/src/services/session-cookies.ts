/**
 * Signing this browser out on our side: Clerk's session cookies cleared and
 * `__client_uat` set to 0, which the SDK reads as signed out. For when Clerk
 * has already ended the session (the account was deleted) and the browser
 * still holds a token that has not expired.
 */
interface CookieJar {
  getAll(): { name: string }[];
  delete(name: string): unknown;
  set(name: string, value: string, options: { path: string; sameSite: 'lax' }): unknown;
}

export function clearClerkSessionCookies(jar: CookieJar): void {
  for (const cookie of jar.getAll()) {
    if (cookie.name.startsWith('__session') || cookie.name.startsWith('__refresh')) jar.delete(cookie.name);
    if (cookie.name.startsWith('__client_uat')) jar.set(cookie.name, '0', { path: '/', sameSite: 'lax' });
  }
}
