/**
 * Clerk's list endpoints: `limit` (default 10, at most 500) and `offset`
 * paging, and `order_by` as a field with an optional sign (`-created_at`;
 * no sign is ascending), in a stable order so that paging never skips or
 * repeats an item.
 */

import { ApiError } from './errors';

export interface Page {
  limit: number;
  offset: number;
}

export const LIMIT_DEFAULT = 10;
export const LIMIT_MAX = 500;

export function pageOf(params: URLSearchParams): Page {
  return {
    limit: Math.min(Math.max(Number(params.get('limit') ?? LIMIT_DEFAULT) || LIMIT_DEFAULT, 1), LIMIT_MAX),
    offset: Math.max(Number(params.get('offset') ?? 0) || 0, 0),
  };
}

/**
 * `limit` and `offset` held to the spec's bounds (an integer from 1 to 500;
 * one from 0): anything else is refused with `status` (Clerk's 422 where the
 * operation lists it, else the 400 it does), never quietly clamped, since a
 * caller asking for 1,000 a page and given 500 would stop paging early.
 */
export function checkedPageOf(params: URLSearchParams, status: 400 | 422): Page {
  const integer = (name: 'limit' | 'offset', fallback: number, min: number, max: number): number => {
    const raw = params.get(name);
    if (raw === null) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(value >= min && value <= max)) {
      const range = max === Infinity ? `${min} or more` : `from ${min} to ${max}`;
      throw new ApiError(status, [{ code: 'form_param_value_invalid', message: 'is invalid', long_message: `${name} must be a whole number ${range}.`, meta: { param_name: name } }]);
    }
    return value;
  };
  return { limit: integer('limit', LIMIT_DEFAULT, 1, LIMIT_MAX), offset: integer('offset', 0, 0, Infinity) };
}

/** Clerk's paginated answer (`PaginatedResourceResponse` on the SDK's side). */
export function paginated<T, J>(items: T[], page: Page, toJSON: (item: T) => J): { data: J[]; total_count: number } {
  return { data: items.slice(page.offset, page.offset + page.limit).map(toJSON), total_count: items.length };
}

export type SortValue = string | number;

/**
 * Sort in place by `orderBy` (a key of `fields`, signed or not; unknown
 * fields fall back to `fallback`), ties broken by id.
 */
export function sortBy<T extends { id: string }>(items: T[], orderBy: string, fields: Record<string, (item: T) => SortValue>, fallback: string): T[] {
  const descending = orderBy.startsWith('-');
  const value = fields[orderBy.replace(/^[+-]/, '')] ?? fields[fallback]!;
  return items.sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    const byField = x < y ? -1 : x > y ? 1 : 0;
    return (descending ? -byField : byField) || (a.id < b.id ? -1 : 1);
  });
}

/**
 * Clerk's `+id`/`-id` list filters (`organization_id`, `user_id`): an item
 * (with its ids, e.g. an organization's members) is kept when it has an
 * included id (or none is asked for) and no excluded one.
 */
export function signedIdFilter(values: string[]): ((ids: string[]) => boolean) | null {
  if (values.length === 0) return null;
  const include = values.filter((value) => !value.startsWith('-')).map((value) => value.replace(/^\+/, ''));
  const exclude = new Set(values.filter((value) => value.startsWith('-')).map((value) => value.slice(1)));
  return (ids) => (include.length === 0 || include.some((id) => ids.includes(id))) && !ids.some((id) => exclude.has(id));
}
