/**
 * The server-action wrapper after its session check (`runAuthedAction`):
 * validation with the form's schema, the write limit counted in the
 * database, the handler, typed failures. The session check itself needs a
 * Next.js request; the browser journeys cover it (tests/e2e/product.e2e.ts).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { User } from '@/generated/prisma/client';
import { runAuthedAction } from '@/modules/auth/src/services/authed-action';
import { ActionError, type ActionState, success } from '@/modules/cores/actions/action-state';
import type { RateLimit } from '@/modules/cores/rate-limit/rate-limit';
import { createUser } from '../helpers/factories';
import { prisma } from '../helpers/prisma';

const schema = z
  .object({
    title: z.string().trim().min(1, { error: 'Enter a title.' }).max(5, { error: 'Too long.' }),
    count: z.coerce.number().int({ error: 'A whole number.' }),
  })
  .refine((input) => input.title !== 'nope', { error: 'Not this one.' });

const WINDOW_SECONDS = 3600;
const limit = (max: number): RateLimit => ({ action: 'test.action', max, windowSeconds: WINDOW_SECONDS, message: 'Slow down.' });

/** The attempts of one test must fall into one window: if the database's clock is near a window's end, wait it out. */
async function awayFromWindowEdge(): Promise<void> {
  const [{ left }] = (await prisma().$queryRaw<{ left: number }[]>`
    SELECT ${WINDOW_SECONDS}::int - (extract(epoch FROM now())::numeric % ${WINDOW_SECONDS}::int)::float8 AS left`) as [{ left: number }];
  if (left < 10) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 100));
}

const windowsOf = (user: User) => prisma().rateLimitWindow.findMany({ where: { key: { startsWith: `${user.clerkId}:` } }, select: { key: true, count: true } });

function form(entries: Record<string, string | Blob>): FormData {
  const data = new FormData();
  for (const [key, value] of Object.entries(entries)) data.append(key, value);
  return data;
}

describe('runAuthedAction', () => {
  it('hands the handler the signed-in user and the parsed input, and answers what it returns', async () => {
    const user = await createUser();
    const seen: { user: User; input: unknown }[] = [];
    const state = await runAuthedAction({ schema, limit: limit(5) }, async (context, input) => {
      seen.push({ user: context.user, input });
      return { status: 'success', message: 'Saved.', at: 1 };
    }, user, form({ title: '  Hi  ', count: '3' }));
    expect(state).toEqual({ status: 'success', message: 'Saved.', at: 1 });
    expect(seen).toEqual([{ user, input: { title: 'Hi', count: 3 } }]);
  });

  it('answers every field\'s errors beside it, errors of the whole form under _form, and the values sent (strings only, no $ACTION keys); the handler never runs and nothing is counted', async () => {
    const user = await createUser();
    let ran = false;
    const handler = async (): Promise<ActionState> => {
      ran = true;
      return success('never');
    };
    const fields = await runAuthedAction({ schema, limit: limit(5) }, handler, user, form({ title: '   ', count: '1.5', $ACTION_ID_abc: 'x', file: new Blob(['x']) }));
    expect(fields).toEqual({ status: 'error', fieldErrors: { title: ['Enter a title.'], count: ['A whole number.'] }, values: { title: '   ', count: '1.5' } });

    const twoOnOneField = await runAuthedAction({ schema: z.object({ code: z.string().min(3, { error: 'Short.' }).regex(/^\d+$/, { error: 'Digits.' }) }), limit: limit(5) }, handler, user, form({ code: 'x' }));
    expect(twoOnOneField).toEqual({ status: 'error', fieldErrors: { code: ['Short.', 'Digits.'] }, values: { code: 'x' } });

    const whole = await runAuthedAction({ schema, limit: limit(5) }, handler, user, form({ title: 'nope', count: '1' }));
    expect(whole).toEqual({ status: 'error', fieldErrors: { _form: ['Not this one.'] }, values: { title: 'nope', count: '1' } });

    expect(ran).toBe(false);
    expect(await windowsOf(user)).toEqual([]);
  });

  it('counts valid attempts per user and refuses past the limit, saying how long to wait, without running the handler', async () => {
    const [user, other] = await Promise.all([createUser(), createUser()]);
    let runs = 0;
    const handler = async () => {
      runs++;
      return success('ok');
    };
    await awayFromWindowEdge();
    const attempt = (who: User) => runAuthedAction({ schema, limit: limit(2) }, handler, who, form({ title: 'Hi', count: '1' }));
    expect((await attempt(user)).status).toBe('success');
    expect((await attempt(user)).status).toBe('success');
    const refused = await attempt(user);
    expect(refused).toEqual({ status: 'error', formError: expect.stringMatching(/^Slow down\. Try again in \d+ seconds\.$/), values: { title: 'Hi', count: '1' } });
    const wait = Number(/in (\d+) seconds/.exec((refused as { formError: string }).formError)![1]);
    expect(wait).toBeGreaterThanOrEqual(10);
    expect(wait).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(runs).toBe(2);
    // Counted under the user's Clerk id (what erasure removes) and the action.
    expect(await windowsOf(user)).toEqual([{ key: `${user.clerkId}:test.action`, count: 3 }]);
    // Another user has a limit of their own.
    expect((await attempt(other)).status).toBe('success');
  });

  it('shows an ActionError above the form, or beside its field, with the values sent', async () => {
    const user = await createUser();
    const values = { title: 'Hi', count: '1' };
    const above = await runAuthedAction({ schema, limit: limit(5) }, async () => {
      throw new ActionError('Clerk could not be reached.');
    }, user, form(values));
    expect(above).toEqual({ status: 'error', formError: 'Clerk could not be reached.', values });
    const beside = await runAuthedAction({ schema, limit: limit(5) }, async () => {
      throw new ActionError('That name is not allowed.', 'title');
    }, user, form(values));
    expect(beside).toEqual({ status: 'error', fieldErrors: { title: ['That name is not allowed.'] }, values });
    // A refusal beside its field keeps its link (a post too long for the plan: where to upgrade).
    const upgrade = { href: '/orgs/acme/billing', label: 'See plans and upgrade' };
    const besideWithLink = await runAuthedAction({ schema, limit: limit(5) }, async () => {
      throw new ActionError('Too long for this plan.', 'title', upgrade);
    }, user, form(values));
    expect(besideWithLink).toEqual({ status: 'error', fieldErrors: { title: ['Too long for this plan.'] }, formErrorLink: upgrade, values });
  });

  it('lets any other error through to the error boundary', async () => {
    const user = await createUser();
    const failure = new Error('database gone');
    await expect(runAuthedAction({ schema, limit: limit(5) }, async () => {
      throw failure;
    }, user, form({ title: 'Hi', count: '1' }))).rejects.toBe(failure);
  });
});
