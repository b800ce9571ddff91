/**
 * The shape of model/ (model/README.md): no import circles, imports only run downwards
 * (the system-call layer and the dispatch on top, the families below it, core at the
 * bottom), and no source file too long to read. Reads the import lines as text; runs
 * nothing of the model.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const MODEL = resolve(import.meta.dirname, '../../model');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Each model file (relative to model/) with the model files it imports (types too). */
function importGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sources(MODEL)) {
    const text = readFileSync(f, 'utf8');
    const deps = [...text.matchAll(/^(?:import|export)[^;]*?from '(\.{1,2}\/[^']+)\.js';/gms)]
      .map((m) => resolve(dirname(f), `${m[1]}.ts`))
      .filter((p) => p.startsWith(MODEL + '/'))
      .map((p) => relative(MODEL, p));
    g.set(relative(MODEL, f), deps);
  }
  return g;
}

/** Every import circle, each as the files around it (depth-first search for back edges). */
function circles(g: Map<string, string[]>): string[][] {
  const out: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    path.push(f);
    for (const d of g.get(f) ?? []) {
      if (state.get(d) === 'open') out.push([...path.slice(path.indexOf(d)), d]);
      else if (state.get(d) === undefined) visit(d);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of [...g.keys()].sort()) if (state.get(f) === undefined) visit(f);
  return out;
}

/**
 * The floors of model/, lowest first: a file may import its own folder and any lower
 * floor. ipv6 stands on ipv4 (as net/ipv6 calls into net/ipv4); the other families stand
 * side by side and never import each other.
 */
const FLOOR: Record<string, number> = { core: 0, ipv4: 1, unix: 1, vsock: 1, ipv6: 2, socket: 3, '.': 4 };

describe('model layout', () => {
  const g = importGraph();

  it('has no import circle', () => {
    expect(circles(g).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('imports only downwards: core, the families, the system-call layer, the dispatch', () => {
    const wrong: string[] = [];
    for (const [f, deps] of g) {
      const from = dirname(f);
      for (const d of deps) {
        const to = dirname(d);
        if (to === from) continue;
        const a = FLOOR[from], b = FLOOR[to];
        if (a === undefined || b === undefined || b >= a) wrong.push(`${f} -> ${d}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps every source file under 400 lines', () => {
    const long = sources(MODEL)
      .map((f) => [relative(MODEL, f), readFileSync(f, 'utf8').split('\n').length] as const)
      .filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });

  it('finds the circles it is asked about (a check that could fail)', () => {
    const g2 = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
    expect(circles(g2)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });
});
