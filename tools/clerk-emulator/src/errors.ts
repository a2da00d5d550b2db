/** Errors in the exact JSON shape of Clerk's Backend API. */
export interface ClerkErrorJSON {
  message: string;
  long_message: string;
  code: string;
  meta?: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: ClerkErrorJSON[],
    readonly headers: Record<string, string> = {},
  ) {
    super(errors[0]?.message ?? 'error');
  }

  body() {
    return { errors: this.errors, clerk_trace_id: `trace_${Date.now().toString(36)}` };
  }
}

export const notFound = () =>
  new ApiError(404, [{ code: 'resource_not_found', message: 'not found', long_message: 'The requested resource was not found.' }]);

export const unauthorized = () =>
  new ApiError(401, [
    { code: 'authentication_invalid', message: 'Invalid authentication', long_message: 'The provided secret key is invalid.' },
  ]);

/** A refused parameter, with Clerk's 422 unless the operation lists only a 400 for bad input (paramError). */
export const paramError = (status: number, param: string, code: string, message: string, long: string) =>
  new ApiError(status, [{ code, message, long_message: long, meta: { param_name: param } }]);

export const formError = (param: string, code: string, message: string, long: string) => paramError(422, param, code, message, long);

export const rateLimited = (retryAfter: number) =>
  new ApiError(
    429,
    [{ code: 'too_many_requests', message: 'Too many requests', long_message: 'Too many requests, please try again later.' }],
    { 'Retry-After': String(retryAfter) },
  );
