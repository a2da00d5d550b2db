/**
 * The benchmark's own routes (`npm run bench` compares our handlers with an
 * empty route handler, and our dashboard with the tutorial's page and with
 * a signed-in page that does nothing, in the same build): they answer 404
 * unless the bench starts the app with BENCH_ROUTES=1. Never set it in
 * production; nothing there needs it.
 */
export const benchRoutesEnabled = (): boolean => process.env.BENCH_ROUTES === '1';
