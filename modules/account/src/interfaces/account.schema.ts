import { z } from 'zod';
import type { RateLimit } from '@/modules/cores/rate-limit/rate-limit';
import { storable } from '@/modules/cores/validation/text';
import { DELETE_CONFIRMATION, NAME_PART_MAX } from './account.limits';

export { DELETE_CONFIRMATION, NAME_PART_MAX };

const namePart = z.string().check(storable()).trim().max(NAME_PART_MAX, { error: `Keep it to ${NAME_PART_MAX} characters or fewer.` });

export const nameSchema = z
  .object({ firstName: namePart, lastName: namePart })
  .refine((value) => value.firstName !== '' || value.lastName !== '', { error: 'Enter a first or a last name.', path: ['firstName'] });

export const deleteAccountSchema = z.object({
  confirmation: z
    .string()
    .trim()
    .refine((value) => value.toLowerCase() === DELETE_CONFIRMATION, { error: `Type "${DELETE_CONFIRMATION}" to confirm.` }),
});

/** Each name change is a Backend API call and a webhook; each deletion a Backend API call. */
export const NAME_CHANGE_LIMIT: RateLimit = { action: 'account.name', max: 5, windowSeconds: 60, message: 'You are changing your name too often.' };
export const ACCOUNT_DELETE_LIMIT: RateLimit = { action: 'account.delete', max: 3, windowSeconds: 60, message: 'Too many attempts to delete your account.' };
