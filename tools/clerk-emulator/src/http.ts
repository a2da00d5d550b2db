import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors';

const MAX_BODY = 1024 * 1024;

export async function readBody(request: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ApiError(413, [{ code: 'request_body_too_large', message: 'too large', long_message: 'The request body is too large.' }]);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON body or an HTML form, as an object of strings (and arrays for repeated keys). */
export async function readParams(request: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(request);
  if (!text) return {};
  const type = request.headers['content-type'] ?? '';
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ApiError(400, [{ code: 'malformed_request', message: 'malformed request', long_message: 'The request body could not be parsed.' }]);
}

export function parseCookies(request: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    const name = part.slice(0, index).trim();
    if (name && !(name in out)) out[name] = decodeURIComponent(part.slice(index + 1).trim());
  }
  return out;
}

/** Exactly `application/json`: the SDK returns the raw text for anything else (FACTS.md). */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  response.end(text);
}

/** A page of ours: no script at all, and its forms post only here or (after sign-in) redirect to the app. */
export function sendHtml(response: ServerResponse, status: number, html: string, appOrigin: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' ${appOrigin}; base-uri 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    // Not no-referrer: with it, browsers send `Origin: null` on form posts, which the origin check refuses.
    'Referrer-Policy': 'same-origin',
  });
  response.end(html);
}

export function redirect(response: ServerResponse, location: string, cookies: string[] = [], status = 303): void {
  response.writeHead(status, { Location: location, 'Cache-Control': 'no-store', ...(cookies.length ? { 'Set-Cookie': cookies } : {}) });
  response.end();
}

export function stringParam(params: Record<string, unknown>, key: string): string | undefined {
  const value = params[key];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}
