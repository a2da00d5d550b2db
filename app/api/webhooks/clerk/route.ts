import { handleClerkWebhookRequest } from '@/modules/clerk-sync/src/webhook/webhook-endpoint';

export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return handleClerkWebhookRequest(request);
}
