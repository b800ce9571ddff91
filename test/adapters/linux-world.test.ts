/**
 * The linux adapter refuses a world it cannot make with a message that says what is
 * wrong (a trace's profile.nofile out of range once read "a session is already open in
 * this process"), and still opens sessions afterwards.
 */
import { describe, expect, it } from 'vitest';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';

const why = linuxAvailable();

(why === undefined ? describe : describe.skip)(why === undefined ? 'linux adapter worlds' : `linux adapter worlds (skipped: ${why})`, () => {
  for (const nofile of [100_000, 3, -1, 2 ** 40]) {
    it(`nofile_${nofile < 0 ? 'negative' : nofile}_is_refused_naming_nofile_and_the_range`, async () => {
      await expect(linuxAdapter.open({ deadlineMs: 50, world: { nofile } })).rejects.toThrow(`nofile ${nofile}`);
      await expect(linuxAdapter.open({ deadlineMs: 50, world: { nofile } })).rejects.toThrow(/4 to 1024/);
      const s = await linuxAdapter.open({ deadlineMs: 50, world: { nofile: 7 } });
      await s.close();
    });
  }
});
