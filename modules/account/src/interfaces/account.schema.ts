import { z } from 'zod';

export const NAME_PART_MAX = 64;

const namePart = z.string().trim().max(NAME_PART_MAX, { error: `Keep it to ${NAME_PART_MAX} characters or fewer.` });

export const nameSchema = z
  .object({ firstName: namePart, lastName: namePart })
  .refine((value) => value.firstName !== '' || value.lastName !== '', { error: 'Enter a first or a last name.', path: ['firstName'] });

/** Deleting an account needs the words typed out: a click alone is too easy. */
export const DELETE_CONFIRMATION = 'delete my account';

export const deleteAccountSchema = z.object({
  confirmation: z
    .string()
    .trim()
    .refine((value) => value.toLowerCase() === DELETE_CONFIRMATION, { error: `Type "${DELETE_CONFIRMATION}" to confirm.` }),
});
