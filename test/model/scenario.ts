/**
 * A per-rule scenario (test/model/per-rule.test.ts): the calls (in a world), or why no
 * sequence in scope reaches the rule. A rule whose answer depends on a kernel timer gives,
 * in `timing`, the other rules the model allows at that call and why: on a loaded machine
 * the kernel may answer by one of them (the model must still name the rule, and the kernel
 * must never diverge).
 */
import type { World } from '../../spec/adapter.js';
import type { Call } from '../../spec/call.js';
import type { Variants } from '../../spec/variants.js';

/**
 * `variant`: the rule exists only on kernels with these variant values (spec/variants.ts):
 * the model is run with them, and a kernel without them does not run the scenario (its
 * test says so by name).
 */
export type Scenario = { world?: World; variant?: Partial<Variants>; calls: Call[]; timing?: { alsoAllowed: string[]; why: string } } | { unreachable: string };
