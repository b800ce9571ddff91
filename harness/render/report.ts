/**
 * `sockspec report`: one self-contained HTML page (inline CSS and a few lines of inline
 * script, nothing fetched) from result files written by `sockspec run --json`:
 *   - the rule-coverage matrix, model rules x runs, each cell agree (reached, no
 *     divergence at it), diverge (a divergence concerns it) or unreached;
 *   - the divergences with their minimal traces;
 *   - calls per syscall for each run.
 * Pure: results in, HTML text out.
 */
import type { RunResult } from '../results.js';
import { renderTrace } from './text.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

type Cell = 'agree' | 'diverge' | 'unreached';

export function cellOf(r: RunResult, rule: string): Cell {
  if (r.divergences.some((d) => d.allowed.includes(rule))) return 'diverge';
  return (r.rules[rule] ?? 0) > 0 ? 'agree' : 'unreached';
}

/** Column label of a run: the adapter, and the seed when two runs share an adapter. */
function labels(rs: readonly RunResult[]): string[] {
  const first = rs.map((r) => (rs.filter((x) => x.adapter === r.adapter).length > 1 ? `${r.adapter} (seed ${r.seed})` : r.adapter));
  return first.map((l, i) => (first.filter((x) => x === l).length > 1 ? `${l} #${i + 1}` : l));
}

const CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.agree { background: #c8ecc8; } td.diverge { background: #f4b6b6; font-weight: bold; } td.unreached { background: #eee; color: #888; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.group td { background: #fafafa; font-weight: bold; }
pre { background: #f8f8f8; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto; font-size: 12px; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border: 1px solid #ccc; }
`;

export function reportHtml(rs: readonly RunResult[], sources: readonly string[]): string {
  const cols = labels(rs);
  // Rules in model order (the first result's order), plus any only another result has.
  const rules = [...new Set(rs.flatMap((r) => Object.keys(r.rules)))];
  const ops = [...new Set(rs.flatMap((r) => Object.keys(r.ops)))];
  const out: string[] = [];
  out.push('<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">', '<title>sockspec report</title>', `<style>${CSS}</style>`, '</head>');
  out.push('<body data-matrix-visible="no">', '<h1>sockspec report</h1>');
  out.push('<table id="runs"><tr><th>run</th><th>adapter</th><th>kernel</th><th>seed</th><th>sequences</th><th>calls</th><th>rules reached</th><th>divergences</th><th>file</th></tr>');
  rs.forEach((r, i) => {
    const reached = Object.values(r.rules).filter((n) => n > 0).length;
    out.push(`<tr><td>${esc(cols[i]!)}</td><td>${esc(r.adapter)}</td><td>${esc(r.kernel)}</td><td class="num">${r.seed}${r.jobs > 1 ? ` (+${r.jobs - 1})` : ''}</td>` +
      `<td class="num">${r.sequences}</td><td class="num">${r.calls}</td><td class="num">${reached}/${Object.keys(r.rules).length}</td>` +
      `<td class="num">${r.divergences.length}</td><td>${esc(sources[i] ?? '')}</td></tr>`);
  });
  out.push('</table>');

  out.push('<h2>Rule coverage</h2>', '<p class="legend"><span class="agree" style="background:#c8ecc8">agree</span><span style="background:#f4b6b6">diverge</span><span style="background:#eee">unreached</span> (numbers: how often a run reached the rule)</p>');
  out.push('<table id="matrix">', `<tr><th>rule</th>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`);
  let group = '';
  for (const rule of rules) {
    const g = rule.split('/')[0]!;
    if (g !== group) { group = g; out.push(`<tr class="group"><td colspan="${cols.length + 1}">${esc(g)}</td></tr>`); }
    const cells = rs.map((r) => {
      const c = cellOf(r, rule);
      const n = r.rules[rule] ?? 0;
      return `<td class="${c} num" title="${c}">${c === 'diverge' ? `diverge${n > 0 ? ` (${n})` : ''}` : n}</td>`;
    });
    out.push(`<tr data-rule="${esc(rule)}"><td>${esc(rule)}</td>${cells.join('')}</tr>`);
  }
  out.push('</table>');

  out.push('<h2>Divergences</h2>');
  const divs = rs.flatMap((r, i) => r.divergences.map((d) => ({ d, col: cols[i]! })));
  if (divs.length === 0) out.push('<p>None.</p>');
  for (const { d, col } of divs) {
    out.push(`<h3>${esc(col)}: ${esc(d.signature)}</h3>`);
    out.push(`<p>seed ${d.seed}, path <code>${esc(d.path)}</code>${d.flaky ? ' (did not reproduce on re-run)' : ''}; replay: <code>${esc(d.replay)}</code></p>`);
    out.push(`<pre>${esc(renderTrace(d.trace, { color: false }))}</pre>`);
  }

  out.push('<h2>Calls per syscall</h2>', '<table id="ops">', `<tr><th>syscall</th>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`);
  for (const op of ops) out.push(`<tr><td>${esc(op)}</td>${rs.map((r) => `<td class="num">${r.ops[op] ?? 0}</td>`).join('')}</tr>`);
  out.push('</table>');
  // For automated checks (and nothing else): whether the matrix has a visible size once laid out.
  out.push('<script>(function(){var m=document.getElementById("matrix");var b=m&&m.getBoundingClientRect();' +
    'document.body.setAttribute("data-matrix-visible",b&&b.width>0&&b.height>0&&getComputedStyle(m).visibility!=="hidden"?"yes":"no");})();</script>');
  out.push('</body></html>', '');
  return out.join('\n');
}
