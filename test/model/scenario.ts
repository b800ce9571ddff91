/**
 * A per-rule scenario (test/model/per-rule.test.ts): the calls (in a world), or why no
 * sequence in scope reaches the rule. A rule whose answer depends on a kernel timer gives,
 * in `timing`, the other rules the model allows at that call and why: on a loaded machine
 * the kernel may answer by one of them (the model must still name the rule, and the kernel
 * must never diverge).
 */
import type { World } from '../../spec/adapter.js';
import type { Call } from '../../spec/call.js';

export type Scenario = { world?: World; calls: Call[]; timing?: { alsoAllowed: string[]; why: string } } | { unreachable: string };
