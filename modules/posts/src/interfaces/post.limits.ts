/**
 * How long a post may be, shared by the form (in the browser) and the schema
 * (on the server). No zod here: the browser bundle stays free of it (zod
 * probes for `eval`, which the Content-Security-Policy forbids).
 */
export const POST_TITLE_MIN = 1;
export const POST_TITLE_MAX = 200;
export const POST_CONTENT_MIN = 1;
export const POST_CONTENT_MAX = 20_000;
