import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only packages that must not be bundled: pg's optional native
  // bindings and pino's worker threads break when bundled.
  serverExternalPackages: ['pg', 'pino', '@prisma/adapter-pg'],
};

export default nextConfig;
