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

/** pino's `err` serializer: type, code, message and stack, redacted. */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: redactPersonalData(String(error)) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    message: redactPersonalData(error.message),
    ...(error.stack ? { stack: redactPersonalData(error.stack) } : {}),
  };
}
