/** Email addresses: the Backend API's `/v1/email_addresses` (`@clerk/backend`'s EmailAddressAPI). */
import type { EmulatorContext } from '../context';
import * as schema from '../contract/schemas';
import { readParams } from '../http';
import { backend, type Route } from '../router';

export function emailAddressRoutes({ store }: EmulatorContext): Route[] {
  return [
    backend('POST', '/v1/email_addresses', schema.emailAddress, async ({ request }) => {
      const params = await readParams(request);
      return store.addEmailAddress(String(params.user_id ?? ''), String(params.email_address ?? ''), {
        verified: params.verified === true,
        primary: params.primary === true,
      });
    }),
    backend('DELETE', '/v1/email_addresses/:id', schema.deletedObject, ({ params }) => {
      const { address } = store.deleteEmailAddress(params.id!);
      return { object: 'email_address', id: address.id, deleted: true };
    }),
  ];
}
