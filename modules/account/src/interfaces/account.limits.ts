/** Shared by the account forms (in the browser) and their schemas; no zod here (see post.limits.ts). */
export const NAME_PART_MAX = 64;

/** Deleting an account needs the words typed out: a click alone is too easy. */
export const DELETE_CONFIRMATION = 'delete my account';
