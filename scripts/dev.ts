/**
 * `npm run dev`: PostgreSQL, migrations, the local Clerk emulator (unless
 * real Clerk keys are set) and `next dev`, stopped by one Ctrl-C
 * (scripts/lib/local-stack.ts).
 */
import './lib/load-env';
import { runLocalStack } from './lib/local-stack';

await runLocalStack('npm run dev');
