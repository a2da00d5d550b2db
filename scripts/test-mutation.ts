/**
 * `npm run test:mutation [-- <Stryker options>]`: Stryker over the modules
 * listed in stryker.config.mjs, then the gate Stryker itself lacks: its
 * `break` threshold looks at the whole run only, so a weak file hides behind
 * strong ones. Here every mutated file must score at least 85% and the run
 * at least 90%, computed from Stryker's JSON report with the library its
 * reports use (`mutation-testing-metrics`).
 *
 * The run is incremental: the committed report (docs/mutation/stryker-incremental.json)
 * carries every mutant's result, and Stryker re-tests only the mutants whose
 * code or covering tests changed since, so CI re-checks whatever a commit
 * touched. `-- --force` re-tests everything. `-- --update-docs` also writes
 * the results into docs/mutation-testing.md, with the commit they measured.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateMetrics, type Metrics } from 'mutation-testing-metrics';
import type { FileResultDictionary, MutationTestResult } from 'mutation-testing-report-schema';
import { ROOT } from './lib/paths';

export const FILE_THRESHOLD = 85;
export const TOTAL_THRESHOLD = 90;

const REPORT = path.join(ROOT, 'reports', 'mutation', 'mutation.json');
const DOCS = path.join(ROOT, 'docs', 'mutation-testing.md');
const RESULTS_START = '<!-- results: written by `npm run test:mutation -- --update-docs`; do not edit by hand -->';
const RESULTS_END = '<!-- end of results -->';

export interface FileScore {
  file: string;
  metrics: Metrics;
}

/** Score of each file of a report, and of the whole. */
export function scores(files: FileResultDictionary): { files: FileScore[]; total: Metrics } {
  return {
    files: Object.keys(files)
      .sort()
      .map((file) => ({ file, metrics: calculateMetrics({ [file]: files[file]! }).metrics })),
    total: calculateMetrics(files).metrics,
  };
}

/** What fails the gate: files under 85%, a total under 90%, a file the configuration names that the report lacks. */
export function gateFailures(result: { files: FileScore[]; total: Metrics }, expectedFiles: string[] = []): string[] {
  const failures = result.files
    .filter(({ metrics }) => metrics.totalValid > 0 && !(metrics.mutationScore >= FILE_THRESHOLD))
    .map(({ file, metrics }) => `${file} scores ${metrics.mutationScore.toFixed(1)}%, under ${FILE_THRESHOLD}%`);
  if (result.total.totalValid > 0 && !(result.total.mutationScore >= TOTAL_THRESHOLD)) failures.push(`the run scores ${result.total.mutationScore.toFixed(1)}%, under ${TOTAL_THRESHOLD}%`);
  const reported = new Set(result.files.map(({ file }) => file));
  for (const file of expectedFiles) if (!reported.has(file)) failures.push(`${file} is in the mutate list but not in the report`);
  return failures;
}

/**
 * The files of a report that the configuration lists. Stryker's incremental
 * run carries over every file of the committed report, one taken off the
 * mutate list included, with results that no longer say anything.
 */
export function listedOnly(files: FileResultDictionary, mutate: string[]): FileResultDictionary {
  const listed = new Set(mutate);
  return Object.fromEntries(Object.entries(files).filter(([file]) => listed.has(file)));
}

const row = (name: string, m: Metrics) =>
  `| ${name} | ${m.killed} | ${m.timeout} | ${m.survived} | ${m.noCoverage} | ${m.ignored} | ${Number.isNaN(m.mutationScore) ? 'n/a' : m.mutationScore.toFixed(1)} |`;

export function resultsTable(result: { files: FileScore[]; total: Metrics }): string {
  return [
    '| file | killed | timeout | survived | no coverage | ignored | score % |',
    '|---|---|---|---|---|---|---|',
    ...result.files.map(({ file, metrics }) => row(file, metrics)),
    row('total', result.total),
  ].join('\n');
}

/** Static mutants ignored by the configuration (`ignoreStatic`): counted per file, not listed one by one. */
const isIgnoredStatic = (m: FileResultDictionary[string]['mutants'][number]) => m.status === 'Ignored' && m.static === true;

/** Every mutant no test detected (and every one ignored, with the reason given in the code), by file and line. */
export function undetectedList(files: FileResultDictionary): string {
  const lines: string[] = [];
  for (const file of Object.keys(files).sort()) {
    const all = files[file]!.mutants;
    const statics = all.filter(isIgnoredStatic).length;
    const mutants = all.filter((m) => (m.status === 'Survived' || m.status === 'NoCoverage' || m.status === 'Ignored') && !isIgnoredStatic(m)).sort((a, b) => a.location.start.line - b.location.start.line);
    if (mutants.length === 0 && statics === 0) continue;
    lines.push('', `### \`${file}\``, '');
    if (statics > 0) lines.push(`${statics} static mutant${statics === 1 ? '' : 's'} (module-level code) ignored by the configuration (docs/decisions/017).`, '');
    if (mutants.length === 0) continue;
    lines.push('| line | status | mutator | replacement | reason |', '|---|---|---|---|---|');
    for (const m of mutants) {
      const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80).replace(/\|/g, '\\|');
      lines.push(`| ${m.location.start.line} | ${m.status} | ${m.mutatorName} | \`${replacement}\` | ${(m.statusReason ?? '').replace(/\s+/g, ' ').replace(/\|/g, '\\|')} |`);
    }
  }
  return lines.length ? lines.join('\n') : '\nNone: every mutant was detected.';
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
}

function updateDocs(report: MutationTestResult, result: { files: FileScore[]; total: Metrics }, seconds: number, strykerArgs: string[]): void {
  const dirty = git('status', '--porcelain', '--', 'modules', 'tests', 'app', 'stryker.config.mjs', 'vitest.mutation.config.ts');
  const commit = git('rev-parse', 'HEAD');
  const generated = [
    RESULTS_START,
    '',
    `Measured at commit \`${commit.slice(0, 12)}\`${dirty ? ' **with uncommitted changes to the code or tests**' : ''} on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
      `\`npm run test:mutation${strykerArgs.length ? ` -- ${strykerArgs.join(' ')}` : ''}\` (${Math.round(seconds / 60)} minutes; ${Object.values(report.files).reduce((n, f) => n + f.mutants.length, 0)} mutants). ` +
      `Gate: every file at least ${FILE_THRESHOLD}%, the whole at least ${TOTAL_THRESHOLD}%.`,
    '',
    resultsTable(result),
    '',
    '## Every mutant no test detects, and every one ignored',
    '',
    'Ignored mutants carry their reason in the code (`// Stryker disable next-line <mutator>: <reason>`), shown here as Stryker reports it.',
    undetectedList(report.files),
    '',
    RESULTS_END,
  ].join('\n');
  const docs = readFileSync(DOCS, 'utf8');
  const start = docs.indexOf(RESULTS_START);
  const end = docs.indexOf(RESULTS_END);
  if (start < 0 || end < 0) throw new Error(`${DOCS} has no results markers to write between`);
  writeFileSync(DOCS, `${docs.slice(0, start)}${generated}${docs.slice(end + RESULTS_END.length)}`);
  console.log(`test:mutation: wrote the results into ${path.relative(ROOT, DOCS)}`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const strykerArgs = args.filter((arg) => arg !== '--update-docs');
  const partial = strykerArgs.some((arg) => arg === '--mutate' || arg === '-m' || arg.startsWith('--mutate='));
  const { default: config } = (await import(path.join(ROOT, 'stryker.config.mjs'))) as { default: { mutate: string[]; incrementalFile: string } };
  const incremental = path.join(ROOT, config.incrementalFile);
  if (!partial && existsSync(incremental)) {
    const previous = JSON.parse(readFileSync(incremental, 'utf8')) as MutationTestResult;
    const kept = listedOnly(previous.files, config.mutate);
    if (Object.keys(kept).length < Object.keys(previous.files).length) writeFileSync(incremental, JSON.stringify({ ...previous, files: kept }));
  }
  const started = Date.now();
  const stryker = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', ...strykerArgs], { cwd: ROOT, stdio: 'inherit' });
  const seconds = (Date.now() - started) / 1000;
  // Only this run's report: one left by an earlier run says nothing about this code.
  const fresh = existsSync(REPORT) && statSync(REPORT).mtimeMs >= started;
  if (!fresh) {
    console.error(`test:mutation: Stryker wrote no report (${path.relative(ROOT, REPORT)}); it exited with ${stryker.status ?? stryker.signal}.`);
    return stryker.status || 1;
  }
  const written = JSON.parse(readFileSync(REPORT, 'utf8')) as MutationTestResult;
  const report = partial ? written : { ...written, files: listedOnly(written.files, config.mutate) };
  const result = scores(report.files);
  const failures = gateFailures(result, partial ? [] : config.mutate);
  console.log(`\n${resultsTable(result)}\n`);
  if (args.includes('--update-docs')) updateDocs(report, result, seconds, strykerArgs);
  if (failures.length > 0) {
    console.error(`test:mutation: FAIL\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
    return 1;
  }
  if (stryker.status !== 0) {
    console.error(`test:mutation: Stryker exited with ${stryker.status}`);
    return stryker.status ?? 1;
  }
  console.log(`test:mutation: PASS, every file at least ${FILE_THRESHOLD}%, ${result.total.mutationScore.toFixed(1)}% in all`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main());
