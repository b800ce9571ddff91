/**
 * Command-line parsing for `sockspec`: strict, with one-line errors (never a stack trace).
 */

import { availableParallelism } from 'node:os';
import type { CorpusOptions } from '../corpus.js';

export class UsageError extends Error {}

/** The largest --runs. */
const MAX_RUNS = 100_000_000;

export const USAGE = `usage: sockspec run [options]
       sockspec replay TRACE... [--adapter NAME] [--deadline MS] [--reuse-helper] [--no-color]
       sockspec shrink TRACE [--adapter NAME] [--deadline MS] [--out DIR] [--reuse-helper] [--no-color]
       sockspec expectations FILE
       sockspec corpus generate --out DIR [--adapter NAME] [--seed S] [--runs N]
                                [--budget SEC] [--max-length L] [--invalid P]
       sockspec corpus check DIR [--adapter NAME]
       sockspec report RESULT.json... [--out report.html]
       sockspec explore --adapter NAME [--expectations F] [--budget SEC] [--seeds N] [--sequences N]
                        [--seed S] [--runs-per-seed N] [--max-length L] [--invalid P]
                        [--deadline MS] [--rechecks N] [--quick-shrink] [--reuse-helper]

run: random socket-call sequences on an implementation and on the model of Linux;
any divergence is shrunk to a minimal trace (text, JSON and a C reproducer).
replay: re-runs recorded traces (trace .json files, expectations files, or
directories of them) next to the model, on the adapter they were recorded on
unless --adapter names another (an exec: adapter is never taken from a file: give
it with --adapter); fds and drawn ports are carried over.
shrink: re-minimises one divergent trace (e.g. one someone reported) by dropping
calls while it still diverges the same way; writes DIR/<name>.min.json and .c.
corpus generate: runs random sequences and keeps a trace (shrunk) for each model rule
no kept trace reaches yet; stops at full coverage, after --runs (default 20000)
sequences or --budget seconds; extends DIR if it holds a corpus. corpus check:
replays a corpus; each trace must still reach its rule with no divergence.
report: one self-contained HTML page from result files of 'run --json': the
rule-coverage matrix (rules x runs: agree / diverge / unreached), the divergences
with their traces, calls per syscall.
explore: "how does my stack differ from Linux": runs seed after seed (each going on
past and around the divergences known so far) until --budget seconds (default 600),
--seeds seeds or --sequences sequences; each new distinct divergence is shrunk, re-run --rechecks times
(default and minimum 3, the last with a 10x deadline) and only then added to the
expectations file (default adapters/NAME/expectations.json; created if missing;
written atomically). Divergences that do not reproduce are reported as flaky, and
unsupported or crashed answers as harness errors; neither is recorded.
--quick-shrink: only drop calls (no fast-check shrinking of arguments): fewer runs
on adapters whose worlds are slow to start.
expectations: an expectations file as a Markdown table, one row per distinct
divergence (call and model rule), with its shortest trace and analysis.

run options:
  --adapter NAME     implementation under test: linux (default), model, lwip, gvisor, or
                     exec:COMMAND (a program speaking spec/wire.md)
  --runs N           number of random sequences (default 1000)
  --seed S           fast-check seed (default: random, printed)
  --path P           replay one counterexample path of a previous run (needs --seed)
  --max-length L     longest sequence (default 30)
  --invalid P        share of invalid argument draws, 0..1 (default 0.2)
  --deadline MS      a call taking longer than this is "blocked" (default 50)
  --out DIR          where traces are written (default sockspec-out)
  --expectations F   known divergences (default adapters/NAME/expectations.json if
                     it exists): met ones are listed, not failures; listed ones that
                     no longer reproduce are reported as fixed
  --update-expectations  add a new divergence's minimal trace to that file
  --jobs N           parallel jobs (processes), job i with seed S+i and its share of
                     the runs; 0: one per core (default 1)
  --time-budget SEC  stop generating once SEC seconds are spent, then report
  --min-coverage P   exit 1 when the run reaches fewer than P% of the model's rules
  --json FILE        write the result (every divergence with its trace, seed and
                     replay command; rule and syscall counts) as JSON
  --junit FILE       write JUnit XML: one test case per model rule (failed with the
                     minimal trace when a divergence concerns it, skipped if unreached)
  --reuse-helper     exec: keep a helper that ended a session cleanly and send it
                     'reset' instead of starting a new one (faster for helpers that
                     start slowly; trusts their reset)
  --no-color         plain output
  -h, --help         this text

exit status: 0 no divergence (or only expected ones), 1 divergence found (replay:
a trace diverges; shrink: the trace no longer diverges), 2 usage or set-up error`;

export interface RunArgs {
  adapter: string;
  runs: number;
  seed: number;
  seedGiven: boolean;
  path?: string;
  maxLength: number;
  invalid: number;
  deadlineMs: number;
  out: string;
  color: boolean;
  expectations?: string;
  updateExpectations: boolean;
  reuseHelper: boolean;
  jobs: number;
  timeBudgetS?: number;
  /** Fail (exit 1) when fewer than this percentage of the model's rules were reached. */
  minCoverage?: number;
  json?: string;
  junit?: string;
  /** Internal: this process is job N of a parallel run (progress on stderr and the result on stdout, for the parent). */
  child: boolean;
  jobIndex?: number;
}

function int(name: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined || !/^-?\d+$/.test(v)) throw new UsageError(`${name} needs an integer, got ${v === undefined ? 'nothing' : `'${v}'`}`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** The options of `argv` in order: `--name value` and `--name=value` alike; value() takes the value. */
function* options(argv: string[]): Generator<{ flag: string; name: string; value: () => string | undefined }> {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const eq = flag.startsWith('--') ? flag.indexOf('=') : -1;
    const inline = eq > 0 ? flag.slice(eq + 1) : undefined;
    yield { flag, name: eq > 0 ? flag.slice(0, eq) : flag, value: () => inline ?? argv[++i] };
  }
}

/** A non-empty option value. */
function text(name: string, v: string | undefined, what: string): string {
  if (!v) throw new UsageError(`${name} needs ${what}`);
  return v;
}

/** A number in 0..1. */
function fraction(name: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${name} needs a number between 0 and 1, got '${v ?? ''}'`);
  return n;
}

/**
 * A fast-check counterexample path `run:shrink:shrink...`, bounded: fast-check draws
 * (and discards) every case before the run index, so an index beyond the largest --runs
 * would never end; a shrink step picks among one case's shrinks, far fewer than a
 * million for the longest sequence.
 */
function fcPath(v: string | undefined): string {
  if (!v || !/^\d+(:\d+)*$/.test(v)) throw new UsageError(`--path needs a fast-check path like 3:0:1, got '${v ?? ''}'`);
  const [run, ...steps] = v.split(':').map(Number);
  if (run! >= MAX_RUNS) throw new UsageError(`--path run index ${v.split(':')[0]} is beyond any run (--runs is at most ${MAX_RUNS})`);
  if (steps.length > 100_000) throw new UsageError(`--path has ${steps.length} shrink steps, more than any shrink takes`);
  const big = steps.findIndex((n) => n >= 1_000_000);
  if (big >= 0) throw new UsageError(`--path shrink step ${big + 1} (${v.split(':')[big + 1]}) is beyond the shrinks of any sequence`);
  return v;
}

/** Parses `run`'s options; throws UsageError with a one-line message. */
export function parseRun(argv: string[]): RunArgs {
  const a: RunArgs = {
    adapter: 'linux', runs: 1000, seed: Math.floor(Math.random() * (2 ** 31 - 256)), seedGiven: false,
    maxLength: 30, invalid: 0.2, deadlineMs: 50, out: 'sockspec-out', color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    updateExpectations: false, reuseHelper: false, jobs: 1, child: false,
  };
  for (const { flag, name, value } of options(argv)) {
    switch (name) {
      case '--adapter': a.adapter = text('--adapter', value(), 'a name'); break;
      case '--runs': a.runs = int('--runs', value(), 1, MAX_RUNS); break;
      case '--seed': a.seed = int('--seed', value(), -(2 ** 31), 2 ** 31 - 1); a.seedGiven = true; break;
      case '--path': a.path = fcPath(value()); break;
      case '--max-length': a.maxLength = int('--max-length', value(), 1, 1000); break;
      case '--invalid': a.invalid = fraction('--invalid', value()); break;
      case '--deadline': a.deadlineMs = int('--deadline', value(), 1, 60_000); break;
      case '--out': a.out = text('--out', value(), 'a directory'); break;
      case '--no-color': a.color = false; break;
      case '--expectations': a.expectations = text('--expectations', value(), 'a file'); break;
      case '--update-expectations': a.updateExpectations = true; break;
      case '--reuse-helper': a.reuseHelper = true; break;
      case '--jobs': a.jobs = int('--jobs', value(), 0, 256); if (a.jobs === 0) a.jobs = Math.max(1, availableParallelism()); break;
      case '--time-budget': a.timeBudgetS = int('--time-budget', value(), 1, 7 * 24 * 3600); break;
      case '--min-coverage': a.minCoverage = int('--min-coverage', value(), 0, 100); break;
      case '--json': a.json = text('--json', value(), 'a file'); break;
      case '--junit': a.junit = text('--junit', value(), 'a file'); break;
      case '--child': a.child = true; a.jobIndex = int('--child', value(), 0, 255); break;
      default: throw new UsageError(`unknown option '${flag}'`);
    }
  }
  if (a.seed + a.jobs - 1 > 2 ** 31 - 1) throw new UsageError(`--seed ${a.seed} with --jobs ${a.jobs} runs past the largest seed, ${2 ** 31 - 1}`);
  if (a.jobs > 1 && a.path !== undefined) throw new UsageError('--path replays one sequence: use it without --jobs');
  if (a.jobs > 1 && a.updateExpectations) throw new UsageError('--update-expectations writes one file: use it without --jobs');
  if (a.path !== undefined && !a.seedGiven) throw new UsageError('--path needs the --seed of the run it came from');
  return a;
}

export interface ReplayArgs {
  paths: string[];
  adapter?: string;
  deadlineMs: number;
  out: string;
  color: boolean;
  reuseHelper: boolean;
}

/** Parses `replay`'s and `shrink`'s options; `one`: exactly one path (shrink). */
export function parseReplay(argv: string[], one: boolean): ReplayArgs {
  const a: ReplayArgs = { paths: [], deadlineMs: 50, out: 'sockspec-out', color: process.stdout.isTTY === true && !process.env.NO_COLOR, reuseHelper: false };
  for (const { flag, name, value } of options(argv)) {
    if (!name.startsWith('-')) { a.paths.push(flag); continue; }
    switch (name) {
      case '--adapter': a.adapter = text('--adapter', value(), 'a name'); break;
      case '--deadline': a.deadlineMs = int('--deadline', value(), 1, 60_000); break;
      case '--out': a.out = text('--out', value(), 'a directory'); break;
      case '--no-color': a.color = false; break;
      case '--reuse-helper': a.reuseHelper = true; break;
      default: throw new UsageError(`unknown option '${flag}'`);
    }
  }
  if (a.paths.length === 0) throw new UsageError(one ? 'shrink needs one trace file' : 'replay needs at least one trace file or directory');
  if (one && a.paths.length > 1) throw new UsageError(`shrink takes one trace file, got ${a.paths.length}`);
  return a;
}

export interface ExploreArgs {
  adapter: string;
  expectations?: string;
  budgetS: number;
  seeds?: number;
  sequences?: number;
  seed: number;
  runsPerSeed: number;
  maxLength: number;
  invalid: number;
  deadlineMs: number;
  rechecks: number;
  quickShrink: boolean;
  reuseHelper: boolean;
}

/** Parses `explore`'s options. */
export function parseExplore(argv: string[]): ExploreArgs {
  const a: ExploreArgs = {
    adapter: 'linux', budgetS: 600, seed: Math.floor(Math.random() * (2 ** 31 - 1_000_000)), runsPerSeed: 200, maxLength: 30, invalid: 0.2,
    deadlineMs: 50, rechecks: 3, quickShrink: false, reuseHelper: false,
  };
  for (const { flag, name, value } of options(argv)) {
    switch (name) {
      case '--adapter': a.adapter = text('--adapter', value(), 'a name'); break;
      case '--expectations': a.expectations = text('--expectations', value(), 'a file'); break;
      case '--budget': a.budgetS = int('--budget', value(), 1, 7 * 24 * 3600); break;
      case '--seeds': a.seeds = int('--seeds', value(), 1, 1_000_000); break;
      case '--sequences': a.sequences = int('--sequences', value(), 1, 100_000_000); break;
      case '--seed': a.seed = int('--seed', value(), -(2 ** 31), 2 ** 31 - 1 - 1_000_000); break;
      case '--runs-per-seed': a.runsPerSeed = int('--runs-per-seed', value(), 1, 1_000_000); break;
      case '--max-length': a.maxLength = int('--max-length', value(), 1, 1000); break;
      case '--invalid': a.invalid = fraction('--invalid', value()); break;
      case '--deadline': a.deadlineMs = int('--deadline', value(), 1, 60_000); break;
      case '--rechecks': a.rechecks = int('--rechecks', value(), 3, 100); break;
      case '--quick-shrink': a.quickShrink = true; break;
      case '--reuse-helper': a.reuseHelper = true; break;
      default: throw new UsageError(`unknown option '${flag}'`);
    }
  }
  return a;
}

/** `corpus generate|check`: the generation options (harness/corpus.ts) with the adapter by name. */
export type CorpusArgs = Pick<CorpusOptions, 'seed' | 'runs' | 'budgetS' | 'maxLength' | 'invalid' | 'deadlineMs'> & {
  sub: 'generate' | 'check';
  dir: string;
  adapter: string;
};

/** Parses `corpus generate|check`. */
export function parseCorpus(argv: string[]): CorpusArgs {
  const [sub, ...rest] = argv;
  if (sub !== 'generate' && sub !== 'check') throw new UsageError(`corpus needs 'generate' or 'check', got ${sub === undefined ? 'nothing' : `'${sub}'`}`);
  const a: CorpusArgs = { sub, dir: '', adapter: 'linux', seed: 1, runs: 20_000, maxLength: 30, invalid: 0.2, deadlineMs: 50 };
  for (const { flag, name, value } of options(rest)) {
    if (!name.startsWith('-') && sub === 'check' && a.dir === '') { a.dir = flag; continue; }
    switch (name) {
      case '--out':
        if (sub !== 'generate') throw new UsageError('--out is for corpus generate (corpus check takes the directory)');
        a.dir = text('--out', value(), 'a directory');
        break;
      case '--adapter': a.adapter = text('--adapter', value(), 'a name'); break;
      case '--seed': a.seed = int('--seed', value(), -(2 ** 31), 2 ** 31 - 1 - 100_000); break;
      case '--runs': a.runs = int('--runs', value(), 1, 100_000_000); break;
      case '--budget': a.budgetS = int('--budget', value(), 1, 7 * 24 * 3600); break;
      case '--max-length': a.maxLength = int('--max-length', value(), 1, 1000); break;
      case '--invalid': a.invalid = fraction('--invalid', value()); break;
      case '--deadline': a.deadlineMs = int('--deadline', value(), 1, 60_000); break;
      default: throw new UsageError(`unknown option '${flag}'`);
    }
  }
  if (a.dir === '') throw new UsageError(sub === 'generate' ? 'corpus generate needs --out DIR' : 'corpus check needs a directory');
  return a;
}
