import nextEnv from '@next/env';
import { defineConfig } from 'prisma/config';

// The same .env files as Next.js and our scripts. Read with a fallback rather
// than env('DATABASE_URL'), which fails every command (even generate) when unset.
nextEnv.loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production', { info: () => {}, error: console.error });

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Migrations take session-level locks, which a transaction pooler cannot
  // keep: they go to DIRECT_URL when DATABASE_URL is a pooled one (docs/deploy.md).
  datasource: { url: process.env.DIRECT_URL || process.env.DATABASE_URL || '' },
});
