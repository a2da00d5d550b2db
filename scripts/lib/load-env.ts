/**
 * Scripts see the same `.env*` files as Next.js does (same loader, same
 * precedence), so DATABASE_URL in `.env` means one thing everywhere.
 * Import it first in every script entry point.
 */
import nextEnv from '@next/env';
import { ROOT } from './paths';

nextEnv.loadEnvConfig(ROOT, process.env.NODE_ENV !== 'production', { info: () => {}, error: console.error });
