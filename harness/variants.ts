/**
 * Which kernel variants (spec/variants.ts) a recorded trace means something under. The
 * model judges the trace's own recorded answers once per value of each axis (the other
 * axes kept as recorded): the values under which it accepts them all, and still names the
 * trace's rule, are the ones the trace needs. A trace replayed on a kernel outside them is
 * not applicable there, which is reported, never silently skipped.
 */
import type { Session } from '../spec/adapter.js';
import type { Observed } from '../spec/observed.js';
import type { Profile } from '../spec/profile.js';
import { VARIANT_AXES, VARIANT_AXIS_NAMES, variantOf, type VariantAxisName, type Variants } from '../spec/variants.js';
import type { Trace } from './render/trace.js';
import { runSequence } from './runner.js';

/** For each axis the trace depends on, the values it holds under (axes it does not depend on are absent). */
export type VariantNeeds = Partial<Record<VariantAxisName, string[]>>;

/** A session that answers with the recorded observations, in order (the model judges them). */
function recordedSession(profile: Profile, observed: readonly Observed[]): Session {
  let i = 0;
  return {
    profile,
    exec: async () => observed[i++] ?? { kind: 'crashed', detail: 'past the end of the recorded trace' },
    settle: async () => {},
    close: async () => {},
  };
}

async function holds(t: Trace, variants: Partial<Variants>, rule: string | undefined): Promise<boolean> {
  const profile: Profile = { ...t.profile, variants };
  const o = await runSequence(recordedSession(profile, t.steps.map((s) => s.observed)), t.steps.map((s) => s.call));
  if (o.error !== undefined) return false;
  const end = o.divergence ? o.divergence.index : o.steps.length;
  // A trace kept for its divergence must diverge at the same step; any other must agree throughout.
  if (t.divergence !== undefined) return o.divergence?.index === t.divergence.index;
  if (o.divergence) return false;
  return rule === undefined || o.steps.slice(0, end).some((s) => s.rule === rule);
}

/** The axes `t` depends on, each with the values under which the model accepts its recorded answers. */
export async function traceNeeds(t: Trace): Promise<VariantNeeds> {
  const needs: VariantNeeds = {};
  const recorded = t.profile.variants ?? {};
  for (const axis of VARIANT_AXIS_NAMES) {
    const ok: string[] = [];
    for (const v of VARIANT_AXES[axis].values) if (await holds(t, { ...recorded, [axis]: v }, t.keptFor)) ok.push(v);
    if (ok.length < VARIANT_AXES[axis].values.length) needs[axis] = ok;
  }
  return needs;
}

/** Why a trace with `needs` does not apply to a kernel of variant set `kernel`; undefined when it does. */
export function notApplicable(needs: VariantNeeds, kernel: Partial<Variants> | undefined): string | undefined {
  const miss = VARIANT_AXIS_NAMES.filter((a) => needs[a] !== undefined && !needs[a]!.includes(variantOf(kernel, a)));
  if (miss.length === 0) return undefined;
  return `not applicable here: it needs ${miss.map((a) => `${a}=${needs[a]!.join('|') || '(none)'}`).join(' ')}, `
    + `this kernel has ${miss.map((a) => `${a}=${variantOf(kernel, a)}`).join(' ')}`;
}
