/**
 * The emulator's route table: each Clerk resource is a module of routes
 * (routes/*.ts), each route a method, a path template (`/v1/users/:id`) and a
 * handler. Backend API routes also name the contract schema of their answer,
 * and their handlers are typed against it: a handler cannot return what the
 * schema does not describe, and in `enforce` mode what it returns is checked
 * before it is sent (contract/contract.ts). docs/decisions/019 says why this
 * is a table of our own over node:http rather than a router library.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/**
 * Who may call a route, which decides the checks made before its handler:
 *   backend   Clerk's Backend API: the secret key, fault injection, call counts, `Clerk-API-Version`
 *   frontend  Clerk's Frontend API and Account Portal pages: what a browser reaches
 *   admin     the emulator's admin page and its forms
 *   control   the control API for tests and tools: its token
 */
export type RouteKind = 'backend' | 'frontend' | 'admin' | 'control';

export interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  /** The path template's parameters, decoded (`:id` → `params.id`). */
  params: Record<string, string>;
}

interface RouteBase {
  method: string;
  /** `/v1/organizations/:id/memberships/:userId`: a `:name` segment matches one path segment. */
  path: string;
  kind: RouteKind;
}

/** A Backend API route: its answer is JSON on the contract's schema, sent with 200. */
export interface BackendRoute<S extends z.ZodType = z.ZodType> extends RouteBase {
  kind: 'backend';
  answers: S;
  handle(context: RequestContext): Promise<z.input<S>> | z.input<S>;
}

/** Any other route writes its own response (pages, redirects, control answers). */
export interface OtherRoute extends RouteBase {
  kind: Exclude<RouteKind, 'backend'>;
  handle(context: RequestContext): Promise<void> | void;
}

export type Route = BackendRoute | OtherRoute;

export function backend<S extends z.ZodType>(method: string, path: string, answers: S, handle: BackendRoute<S>['handle']): BackendRoute {
  return { kind: 'backend', method, path, answers, handle: handle as BackendRoute['handle'] };
}

export function route(kind: OtherRoute['kind'], method: string, path: string, handle: OtherRoute['handle']): OtherRoute {
  return { kind, method, path, handle };
}

interface CompiledRoute {
  route: Route;
  segments: string[];
  /** Literal segments count first: `/v1/users/count` wins over `/v1/users/:id`. */
  literals: number;
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export class RouteTable {
  private readonly compiled: CompiledRoute[];

  constructor(routes: Route[]) {
    const seen = new Set<string>();
    for (const { method, path } of routes) {
      const key = `${method} ${path.replace(/:[^/]+/g, ':')}`;
      if (seen.has(key)) throw new Error(`Two emulator routes for ${method} ${path}`);
      seen.add(key);
    }
    this.compiled = routes
      .map((route) => {
        const segments = route.path.split('/');
        return { route, segments, literals: segments.filter((segment) => !segment.startsWith(':')).length };
      })
      .sort((a, b) => b.literals - a.literals);
  }

  get routes(): Route[] {
    return this.compiled.map((entry) => entry.route);
  }

  /** The route for this method and path, if there is one. */
  match(method: string, pathname: string): Match | undefined {
    const parts = pathname.split('/');
    for (const { route, segments } of this.compiled) {
      if (route.method !== method || segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const fits = segments.every((segment, i) => {
        if (!segment.startsWith(':')) return segment === parts[i];
        if (!parts[i]) return false;
        try {
          params[segment.slice(1)] = decodeURIComponent(parts[i]!);
          return true;
        } catch {
          return false;
        }
      });
      if (fits) return { route, params };
    }
    return undefined;
  }
}
