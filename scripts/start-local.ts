/**
 * `npm run start:local`: the production build (`next start`, built first if
 * it is missing or older than the sources) on your machine, with the same
 * embedded PostgreSQL and local Clerk emulator as `npm run dev`. For trying
 * what will be deployed; a real deployment follows docs/deploy.md.
 */
import './lib/load-env';
import { runLocalStack } from './lib/local-stack';

await runLocalStack('npm run start:local');
