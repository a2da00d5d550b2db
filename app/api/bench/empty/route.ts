import { benchRoutesEnabled } from '@/modules/cores/env/bench';
import { smallJson } from '@/modules/cores/http/small-json';

export const dynamic = 'force-dynamic';

/**
 * The ceiling for `npm run bench`: a route handler that reads the delivery and
 * does nothing with it, in the same build, outside the proxy like the webhook.
 * Whatever ours costs above this is ours, not the framework's.
 */
export async function POST(request: Request): Promise<Response> {
  if (!benchRoutesEnabled()) return new Response(null, { status: 404 });
  await request.text();
  // Answered as ours is (a small JSON body with its length), so that neither pays for compression.
  return smallJson({ outcome: 'ignored' });
}
