/**
 * A small JSON answer that Next.js sends as it is. Next compresses every
 * route handler's response it can (its `compression` middleware; it drops a
 * Content-Length we set, so the 1 KiB threshold never applies), and gzipping
 * a 21-byte webhook answer cost about a tenth of the webhook's CPU (the CPU
 * profile of `npm run bench`). `Cache-Control: no-transform` is the standard
 * way to say "do not re-encode this"; `no-store` because an answer to a
 * delivery is never worth caching anyway.
 */
export function smallJson(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store, no-transform', ...init.headers },
  });
}
