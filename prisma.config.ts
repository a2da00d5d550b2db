import nextEnv from '@next/env';
import { defineConfig } from 'prisma/config';

// The same .env files as Next.js and our scripts. Read with a fallback rather
// than env('DATABASE_URL'), which fails every command (even generate) when unset.
nextEnv.loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production', { info: () => {}, error: console.error });

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
