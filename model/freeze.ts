/**
 * Whether immer deep-freezes the worlds the model produces. Freezing walks every new
 * state after each producer, which was a third of a run's time, and it only ever catches
 * one kind of bug: code that writes into a world outside a producer. So it is off for
 * runs and on where such a bug should fail loudly: the test suite (vitest.config.ts sets
 * SOCKSPEC_FREEZE=1) and any debug run started with SOCKSPEC_FREEZE=1. Never changes what
 * the model answers.
 */
import { setAutoFreeze } from 'immer';

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;

/** True when worlds are deep-frozen (SOCKSPEC_FREEZE=1). */
export const FREEZE = env?.SOCKSPEC_FREEZE === '1';

setAutoFreeze(FREEZE);
