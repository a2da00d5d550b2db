/**
 * How long a post may be, shared by the form (in the browser) and the schema
 * (on the server). No zod here: the browser bundle stays free of it (zod
 * probes for `eval`, which the Content-Security-Policy forbids).
 */
export const POST_TITLE_MIN = 1;
export const POST_TITLE_MAX = 200;
export const POST_CONTENT_MIN = 1;
export const POST_CONTENT_MAX = 20_000;

/**
 * The permission to delete anyone's post in an organization (your own you
 * may always delete): a custom Clerk permission, which the instance gives to
 * the roles it chooses (Admin, and the README's Editor).
 */
export const DELETE_ANY_POST = 'org:posts:delete';
