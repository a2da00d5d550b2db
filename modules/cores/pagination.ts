/**
 * Keyset (cursor) pagination over "newest first": stable under inserts and
 * deletes, one indexed range scan per page, no OFFSET.
 */

export const PAGE_SIZE = 10;

export interface Page<T> {
  items: T[];
  /** Cursor for the next (older) page, or null at the end. */
  nextCursor: string | null;
}

export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

/** A cursor from the URL, or null for a missing or tampered one (then: the first page). Row ids are plain ASCII. */
export function decodeCursor(value: string | null | undefined): Cursor | null {
  if (!value || value.length > 200) return null;
  const [iso, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id) || Number.isNaN(createdAt.getTime())) return null;
  return { createdAt, id };
}

/** Prisma `where` for rows strictly after the cursor in (createdAt desc, id desc) order. */
export function afterCursor(cursor: Cursor | null) {
  if (!cursor) return {};
  return {
    OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }],
  };
}

export const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

/** Rows fetched with `take: size + 1`: the extra one only says whether there is more. */
export function toPage<T extends Cursor>(rows: T[], size: number): Page<T> {
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > size && last ? encodeCursor(last) : null };
}
