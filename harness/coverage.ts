/**
 * Which model rules fired, how often. Only sequences of the random run count (not
 * shrink attempts).
 */
import { RULES } from '../model/index.js';

export class Coverage {
  readonly counts = new Map<string, number>();

  add(rule: string): void {
    this.counts.set(rule, (this.counts.get(rule) ?? 0) + 1);
  }

  /** Rules of the model that never fired. */
  unreached(): string[] {
    return RULES.filter((r) => !this.counts.has(r));
  }

  /** [covered, total] over the model's rule list. */
  ratio(): [number, number] {
    return [RULES.filter((r) => this.counts.has(r)).length, RULES.length];
  }
}
