#!/usr/bin/env node
/**
 * Sums the self time of a CPU profile by file and by function:
 *   node test/bench/profsum.mjs DIR [N]
 * reads every .cpuprofile in DIR (what `node --cpu-prof --cpu-prof-dir=DIR ...` wrote) and
 * prints the N (default 25) largest of each, as a share of all samples. Idle time and the
 * tsx loader's thread are counted too, so compare the shares of the project's own lines.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [dir, n = '25'] = process.argv.slice(2);
if (dir === undefined) {
  console.error('usage: node test/bench/profsum.mjs DIR [N]');
  process.exit(2);
}
const byFn = new Map();
const byFile = new Map();
let total = 0;
const add = (m, k, t) => m.set(k, (m.get(k) ?? 0) + t);
for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
  const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const self = new Map();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  for (const node of p.nodes) {
    const t = self.get(node.id) ?? 0;
    if (t === 0) continue;
    total += t;
    const { functionName, url, lineNumber } = node.callFrame;
    // A path inside the project or node_modules/<package>, without the checkout's prefix.
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\/([^/]+)\/.*$/, 'node_modules/$1').replace(process.cwd() + '/', '');
    add(byFile, file || functionName, t);
    add(byFn, `${functionName || '(anonymous)'} ${file}${file && lineNumber > 0 ? `:${lineNumber + 1}` : ''}`, t);
  }
}
const show = (title, m) => {
  console.log(title);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
    console.log(`${((100 * v) / total).toFixed(1).padStart(6)}%  ${k}`);
};
console.log(`${(total / 1e6).toFixed(1)} s of samples`);
show('self time by file', byFile);
show('self time by function', byFn);
