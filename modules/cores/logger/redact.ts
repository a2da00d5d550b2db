/**
 * Logs and stored error texts carry ids, never emails or names. Errors are
 * the one place personal data can slip into them (a database error quoting
 * the row it refused), so their texts go through here.
 */

const EMAIL = /[^\s@"'<>()[\],;:=]+@[^\s@"'<>()[\],;:=]+/g;
/** PostgreSQL's DETAIL lines quote values: `Key (email)=(ada@example.com)`, `Failing row contains (…)`. */
const QUOTED_KEY = /(Key \([^)]*\)=\()[^\n]*?(\) already exists|\) is not present|\))/g;
const FAILING_ROW = /(Failing row contains \()[^\n]*(\))/g;

export function redactPersonalData(text: string): string {
  return text.replace(QUOTED_KEY, '$1[redacted]$2').replace(FAILING_ROW, '$1[redacted]$2').replace(EMAIL, '[email]');
}

/** The message of an error, or of the errors it gathers (a connection refused on every address is an AggregateError with none). */
function messageOf(error: Error): string {
  if (error.message) return error.message;
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner)) return inner.map((item) => (item instanceof Error ? item.message : String(item))).join('; ');
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}

/** pino's `err` serializer: type, code, message and stack, redacted. */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: redactPersonalData(String(error)) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    message: redactPersonalData(messageOf(error)),
    ...(error.stack ? { stack: redactPersonalData(error.stack) } : {}),
  };
}
