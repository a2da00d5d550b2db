import { verifyWebhook } from '@clerk/nextjs/webhooks';
import type { NextRequest } from 'next/server';
import { getClerkConfig } from '@/modules/auth/src/services/clerk-config';
import { handleClerkEvent } from '@/modules/auth/src/services/clerk-webhook.service';

export const dynamic = 'force-dynamic';

export async function POST(request: NextRequest): Promise<Response> {
  let event;
  try {
    event = await verifyWebhook(request, { signingSecret: getClerkConfig().webhookSigningSecret });
  } catch {
    return Response.json({ error: 'invalid webhook signature' }, { status: 400 });
  }
  const outcome = await handleClerkEvent(event);
  return Response.json({ outcome });
}
