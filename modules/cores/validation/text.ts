/**
 * Text that PostgreSQL can store and a person can read: no control
 * characters (NUL cannot be stored at all; the others are invisible and
 * break layouts and logs) and no lone UTF-16 surrogates (not valid Unicode,
 * refused inside `jsonb`). Multi-line text may keep tabs and line breaks.
 * Checked at every way in (forms, webhook payloads, URLs) so that such text
 * is refused with a clear answer and never reaches the database.
 */
import { z } from 'zod';

const CONTROL = /[\u0000-\u001F\u007F]/;
const CONTROL_BUT_WHITESPACE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isStorableText(value: string, options: { multiline?: boolean } = {}): boolean {
  return !(options.multiline ? CONTROL_BUT_WHITESPACE : CONTROL).test(value) && !LONE_SURROGATE.test(value);
}

export const UNSTORABLE_TEXT_MESSAGE = 'Remove the invisible control characters (such as NUL) from this field.';

/** A zod check for `.check(...)`: refuses unstorable text with a message the form shows beside the field. */
export function storable(options: { multiline?: boolean; message?: string } = {}) {
  return z.refine<string>((value) => isStorableText(value, options), { error: options.message ?? UNSTORABLE_TEXT_MESSAGE });
}
