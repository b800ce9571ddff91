/**
 * The one-screen report of a trace: a header (adapter, calls, seed and path, profile),
 * the numbered calls in columns with what the implementation answered and the rule that
 * matched, at a divergence every outcome the model allowed, and how to replay. Pure;
 * ANSI colours only when asked for.
 */
import { variantsText } from '../../spec/variants.js';
import { FILE_FD } from '../../spec/file.js';
import type { Profile } from '../../spec/profile.js';
import { renderCall } from './call.js';
import { renderExpected, renderObserved } from './result.js';
import type { Trace } from './trace.js';

export { renderCall } from './call.js';
export { renderExpected, renderObserved } from './result.js';

export interface RenderOptions {
  /** ANSI colours (red for the divergent answer). */
  color: boolean;
  /** Where the JSON trace and the C reproducer were written, to name them in the footer. */
  files?: { json?: string; c?: string };
}

/** Column widths beyond which lines are no longer padded (long calls just run on). */
const CALL_COL_MAX = 48;
const RESULT_COL_MAX = 40;
const ALLOWS = 'model allows:';

interface Paint {
  red(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

function paint(on: boolean): Paint {
  const wrap = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap('1;31'), green: wrap('32'), dim: wrap('2'), bold: wrap('1') };
}

function profileLine(p: Profile): string {
  return `profile: kernel ${p.kernel}, somaxconn ${p.somaxconn}, ports ${p.portRange[0]}-${p.portRange[1]}, ` +
    `unprivileged ports from ${p.unprivilegedPortStart}, nofile ${p.nofile}, ` +
    `CAP_NET_BIND_SERVICE ${p.capNetBindService ? 'yes' : 'no'}` + fileText(p) +
    `\nvariants: ${variantsText(p.variants)}`;
}

/** The world's regular file, when it has one: `, file at fd 4 (s_maxbytes 17592186040320)`. */
export function fileText(p: Profile): string {
  if (p.file === undefined) return '';
  return `, file at fd ${FILE_FD} (s_maxbytes ${p.file.maxBytes ?? 'above 2^53'}${p.file.noexec ? ', noexec' : ''})`;
}

function header(t: Trace, c: Paint): string {
  const n = t.steps.length;
  const calls = `${n} call${n === 1 ? '' : 's'}`;
  const replay = t.seed === undefined ? '' : ` (seed ${t.seed}${t.path !== undefined ? `, path "${t.path}"` : ''})`;
  const what = t.divergence
    ? `'${t.adapter}' diverges from the model at call ${t.divergence.index + 1} of ${n}`
    : `trace of ${calls} on '${t.adapter}'`;
  return `${c.bold(`sockspec: ${what}`)}${replay}`;
}

/** `w` as one shell word: unchanged when it is plain, else single-quoted. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

function footer(t: Trace, o: RenderOptions): string[] {
  const lines: string[] = [];
  if (t.seed !== undefined) {
    const path = t.path !== undefined ? ` --path "${t.path}"` : '';
    if (t.generator !== undefined) {
      lines.push(`replay:  npx sockspec run --adapter ${shellWord(t.adapter)} --seed ${t.seed}${path} --max-length ${t.generator.maxLength} --invalid ${t.generator.invalid}`);
    } else {
      lines.push(`replay:  npx sockspec run --adapter ${shellWord(t.adapter)} --seed ${t.seed}${path}`);
      lines.push('         (add the --max-length and --invalid of the original run if they were not the defaults)');
    }
  } else {
    lines.push('replay:  no seed recorded; replay the calls from the JSON trace or the C program');
  }
  if (o.files?.json !== undefined) lines.push(`trace:   ${o.files.json}`);
  if (o.files?.c !== undefined) {
    lines.push(`C:       cc ${o.files.c} -o repro && ./repro   (as root, or: unshare -rn ./repro)`);
  }
  if (t.divergence !== undefined && (t.adapter === 'linux' || t.adapter.startsWith('linux-vm:'))) {
    // Linux is the reference, and kernels differ: say what this divergence may be, and where to look next.
    const json = o.files?.json ?? 'TRACE.json';
    lines.push('', `note:    the kernel itself disagrees with the model. This may be a kernel behaviour the model does not know yet`,
      `         (a kernel variant: README "Kernels"), or a kernel bug. Kernel ${t.profile.kernel}${t.profile.build ? ` ${t.profile.build}` : ''},`,
      `         variants ${variantsText(t.profile.variants)}.`,
      `         The same trace on other kernels: npx sockspec replay ${json} --adapter linux-vm:6.1   (and linux-vm:6.12)`);
  }
  return lines;
}

/** The report, lines joined with '\n' (no final newline). Never throws for a well-typed trace. */
export function renderTrace(t: Trace, o: RenderOptions): string {
  const c = paint(o.color);
  const div = t.divergence;
  const numW = String(t.steps.length).length;
  const calls = t.steps.map((s) => renderCall(s.call));
  const results = t.steps.map((s) => renderObserved(s.observed, s.call));
  const callW = Math.min(CALL_COL_MAX, Math.max(ALLOWS.length, ...calls.map((x) => x.length)));
  const resW = Math.min(RESULT_COL_MAX, Math.max(0, ...results.map((x) => x.length)));
  const indent = ' '.repeat(3 + numW + 2);

  const out: string[] = [header(t, c), profileLine(t.profile), ''];
  t.steps.forEach((s, i) => {
    const bad = div !== undefined && div.index === i;
    const mark = bad ? '>' : ' ';
    const num = String(i + 1).padStart(numW);
    const res = results[i] ?? '';
    const call = (calls[i] ?? '').padEnd(callW);
    const tail = bad ? c.red('<- no allowed outcome matches') : s.rule !== undefined ? c.dim(`[${s.rule}]`)
      : s.expected !== undefined ? c.dim(`[expected divergence, followed: ${s.expected}]`) : s.observed.kind === 'unsupported' ? c.dim('[not run]') : '';
    const shown = bad ? c.red(res.padEnd(resW)) : res.padEnd(resW);
    out.push(`${bad ? c.red(mark) : mark}  ${num}  ${call}  ${shown}  ${tail}`.trimEnd());
    if (bad) {
      // Under the observed answer, however long the call.
      const labelW = indent.length + call.length;
      const label = `${ALLOWS.padStart(labelW)}  `;
      if (div.allowed.length === 0) out.push(`${label}nothing (no rule of the model applies)`);
      div.allowed.forEach((a, k) => {
        const text = `${c.green(renderExpected(a.expect, s.call))}  ${c.dim(`[${a.rule}]`)}`;
        out.push(`${k === 0 ? label : ' '.repeat(label.length)}${text}`);
      });
    }
  });
  const allowedTexts = div?.allowed.map((a) => renderExpected(a.expect)) ?? [];
  if ([...results, ...allowedTexts].some((r) => r.includes('a5*'))) {
    out.push('', c.dim('a5*N: N bytes of the address buffer still hold the 0xa5 the caller filled it with'));
  }
  out.push('', ...footer(t, o));
  return out.join('\n');
}
