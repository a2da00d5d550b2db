'use client';

/**
 * Emulator mode only. Clerk's browser SDK refreshes the session token in the
 * background; offline there is no browser SDK, so this does the same job:
 * a GET now and then (and when the tab comes back) lets the server-side SDK
 * refresh an expiring token through its `__refresh` cookie. A form filled
 * slowly then still submits as the signed-in user (docs/decisions/004).
 */
import { useEffect } from 'react';

export function SessionKeepAlive({ intervalMs }: { intervalMs: number }) {
  useEffect(() => {
    const ping = () => {
      if (document.visibilityState === 'visible') void fetch('/api/auth/keepalive', { cache: 'no-store', credentials: 'same-origin' }).catch(() => {});
    };
    const timer = window.setInterval(ping, intervalMs);
    document.addEventListener('visibilitychange', ping);
    window.addEventListener('focus', ping);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', ping);
      window.removeEventListener('focus', ping);
    };
  }, [intervalMs]);
  return null;
}
