/**
 * The MSG_ flags a family's send or receive path is modelled for: any other bit is refused
 * (the model never reads a flag it does not know as if it were absent). Pure.
 */
import { MSG_NAMES } from '../../spec/constants.js';

/**
 * Throws the model's refusal when `flags` holds a bit outside `known`, naming the bits and
 * `where` ("a UDP send"); returns nothing otherwise. Never changes anything.
 */
export function refuseUnknownFlags(flags: number, known: number, where: string): void {
  const extra = (flags & ~known) >>> 0;
  if (extra === 0) return;
  const names = MSG_NAMES.filter(([, bit]) => (extra & bit) >>> 0 !== 0).map(([n]) => n);
  const rest = MSG_NAMES.reduce((x, [, bit]) => (x & ~bit) >>> 0, extra);
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  throw new Error(`model: ${names.join('|')} on ${where} is not modelled`);
}
