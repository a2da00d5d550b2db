import type { NextConfig } from 'next';

/**
 * Sent with every response. The Content-Security-Policy needs a fresh nonce
 * per request, so the proxy sets it (modules/cores/security).
 */
const securityHeaders = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()' },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' },
];

const nextConfig: NextConfig = {
  // Only the tests set it: they build a second, separate instance into its own directory.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only packages that must not be bundled: pg's optional native
  // bindings and pino's worker threads break when bundled; the OpenTelemetry
  // SDK and its instrumentations patch modules at run time, and the API must
  // be one copy for every bundle (docs/decisions/026).
  serverExternalPackages: ['pg', 'pino', '@prisma/adapter-pg', '@opentelemetry/api', '@opentelemetry/sdk-node', '@opentelemetry/instrumentation-undici', '@prisma/instrumentation'],
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }];
  },
};

export default nextConfig;
