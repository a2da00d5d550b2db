import { handleClerkWebhookRequest } from '@/modules/auth/src/services/webhook-endpoint';

export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return handleClerkWebhookRequest(request);
}
