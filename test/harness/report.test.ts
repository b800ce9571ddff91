/**
 * The HTML report: made from real result files (a conformant run and a run of a helper
 * with one bug), then opened in headless Chromium (Debian's chromium package), which
 * must lay the rule matrix out with a visible size and show the divergent rule as such.
 * The Chromium part is skipped, with the reason in its name, where chromium is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULES } from '../../model/index.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/sockspec.mjs');
const dir = mkdtempSync(join(tmpdir(), 'sockspec-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sockspec = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, cwd: ROOT });

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const withChromium = CHROMIUM ? it : it.skip;
const chromiumName = (s: string): string => (CHROMIUM ? s : `${s} (skipped: chromium is not installed; apt-get install chromium)`);
const html = join(dir, 'report.html');

beforeAll(() => {
  const good = sockspec('run', '--adapter', 'model', '--runs', '200', '--seed', '1', '--json', join(dir, 'model.json'), '--no-color');
  expect(good.status, good.stderr).toBe(0);
  const buggy = sockspec('run', '--adapter', `exec:${process.execPath} ${join(ROOT, 'test/fixtures/model-helper.mjs')} --bug=listen-never-autobinds`, '--reuse-helper', '--runs', '200', '--seed', '1',
    '--json', join(dir, 'buggy.json'), '--out', dir, '--no-color');
  expect(buggy.status, buggy.stderr).toBe(1);
  const r = sockspec('report', join(dir, 'model.json'), join(dir, 'buggy.json'), '--out', html);
  expect(r.status, r.stderr).toBe(0);
}, 120_000);

describe('sockspec report', () => {
  it('writes_one_self_contained_page_with_every_rule_and_the_divergence', () => {
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<(link|img|script)[^>]+(src|href)=/);
    expect((page.match(/<tr data-rule=/g) ?? []).length).toBe(RULES.length);
    expect(page).toMatch(/<tr data-rule="listen\/autobind"><td>listen\/autobind<\/td><td class="agree num"[^>]*>\d+<\/td><td class="diverge num"/);
    expect(page).toContain('listen [listen/autobind] -&gt; EINVAL');
    expect(page).toContain('no allowed outcome matches');
  });
  it('bad_input_is_a_clear_error', () => {
    const r = sockspec('report', join(ROOT, 'package.json'));
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/package\.json: tool: expected "sockspec"/);
  });
  withChromium(chromiumName('renders_in_headless_chromium_with_the_matrix_visible'), () => {
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${join(dir, 'profile')}`];
    const dom = spawnSync(CHROMIUM!, [...args, '--dump-dom', `file://${html}`], { encoding: 'utf8', timeout: 60_000 });
    expect(dom.status, dom.stderr.slice(-500)).toBe(0);
    expect(dom.stdout).toContain('data-matrix-visible="yes"');
    expect(dom.stdout).toMatch(/<td class="diverge num"/);
    const png = join(dir, 'shot.png');
    const shot = spawnSync(CHROMIUM!, [...args, '--window-size=1200,900', `--screenshot=${png}`, `file://${html}`], { encoding: 'utf8', timeout: 60_000 });
    expect(shot.status, shot.stderr.slice(-500)).toBe(0);
    expect(statSync(png).size).toBeGreaterThan(10_000);
  }, 120_000);
});
