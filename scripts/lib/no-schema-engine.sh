#!/bin/sh
# Stand-in for Prisma's native schema engine during `prisma generate` (which
# never runs it). If something does run it, say what to use instead.
echo "This is not Prisma's schema engine. Use npm run db:migrate or npm run db:migration:create (offline)," >&2
echo "or unset PRISMA_SCHEMA_ENGINE_BINARY on a machine that can download the engine." >&2
exit 1
