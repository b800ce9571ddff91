/**
 * harness/files.ts: atomic writes, output checks that change nothing, inputs that must
 * be regular files.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutputDir, checkOutputFile, makeDirs, readInputFile, writeFileAtomic } from '../../harness/files.js';

const dir = mkdtempSync(join(tmpdir(), 'sockspec-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('replacing_a_file_keeps_its_mode_and_leaves_no_temporary_file', () => {
    const f = join(dir, 'a.json');
    writeFileSync(f, 'old');
    chmodSync(f, 0o640);
    writeFileAtomic(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(statSync(f).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
  it('through_a_symlink_writes_the_target_and_keeps_the_link', () => {
    const target = join(dir, 'target.json');
    const link = join(dir, 'link.json');
    writeFileSync(target, 'old');
    symlinkSync(target, link);
    writeFileAtomic(link, 'new');
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(readFileSync(link, 'utf8')).toBe('new');
  });
  it('a_temporary_file_of_a_killed_writer_is_removed_by_the_next_write', () => {
    const f = join(dir, 'b.json');
    const dead = Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
    const stale = join(dir, `.b.json.${dead}.0badf00d.tmp`);
    const other = join(dir, `.c.json.${dead}.0badf00d.tmp`);
    writeFileSync(stale, 'half');
    writeFileSync(other, 'half');
    writeFileAtomic(f, 'whole');
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(other)).toBe(true);
    rmSync(other);
  });
  it('a_device_is_refused_and_left_alone', () => {
    expect(() => writeFileAtomic('/dev/null', 'x')).toThrow('/dev/null: a character device; sockspec writes regular files only');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});

describe('output checks', () => {
  it('a_path_under_proc_is_refused_at_once', () => {
    expect(() => checkOutputFile('/proc/nonexistent/x.json', '--json')).toThrow(/^--json \/proc\/nonexistent\/x\.json: cannot create files in \/proc/);
    expect(() => checkOutputDir('/proc/nope', '--out')).toThrow(/^--out \/proc\/nope: cannot create files in \/proc/);
    expect(() => makeDirs('/proc/nonexistent/x')).toThrow(/cannot create \/proc\/nonexistent/);
  });
  it('a_file_where_a_directory_is_needed_is_refused', () => {
    const f = join(dir, 'plain');
    writeFileSync(f, '');
    expect(() => checkOutputDir(f, '--out')).toThrow(`--out ${f}: a file, not a directory`);
    expect(() => checkOutputDir(join(f, 'sub'), '--out')).toThrow(`--out ${join(f, 'sub')}: ${f} is a file, not a directory`);
    expect(() => checkOutputDir('/dev/null', '--out')).toThrow('--out /dev/null: a character device, not a directory');
  });
  it('checks_create_nothing', () => {
    checkOutputDir(join(dir, 'new/deeper'), '--out');
    checkOutputFile(join(dir, 'new2/x.json'), '--json');
    expect(existsSync(join(dir, 'new'))).toBe(false);
    expect(existsSync(join(dir, 'new2'))).toBe(false);
  });
});

describe('readInputFile', () => {
  it('a_fifo_is_refused_without_blocking', () => {
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(() => readInputFile(fifo, '--expectations')).toThrow(`--expectations ${fifo}: a FIFO; give a regular file`);
  });
  it('a_directory_is_refused', () => {
    expect(() => readInputFile(dir)).toThrow(/a directory/);
  });
});
