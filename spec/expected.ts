/**
 * What the model allows as the answer to one call: a rule id and an expected
 * observation that may contain holes (a port from a range). Data only; matching lives
 * in harness/.
 */
import type { ErrnoName } from './errno.js';
import type { SelectSets } from './observed.js';

/** A stable public rule name such as `bind/EADDRINUSE` (see model/rules.ts). */
export type RuleId = string;

/** A port the model does not fix: any port in [lo, hi] with the parity, not in `taken`. */
export interface PortHole {
  lo: number;
  hi: number;
  parity?: 'odd' | 'even';
  taken: number[];
}

/**
 * An option value the model does not fix (Observed.optval): the buffer holds the first
 * `bytes` (0..4) little-endian bytes of some int in [lo, hi], then 0xa5 up to `shown`
 * bytes.
 */
export interface OptHole {
  lo: number;
  hi: number;
  bytes: number;
  shown: number;
}

export type Expected =
  | { kind: 'blocked'; bound?: { addr: string; port: number | PortHole } | null }
  | {
      kind: 'returned';
      ret: number;
      errno?: ErrnoName;
      /** Expected buffer hex (same convention as Observed.addr). */
      addr?: string;
      addrlen?: number;
      /** Expected bytes read (see Observed.data). */
      data?: string;
      /** Expected msg_flags and msg_controllen after a recvmsg (see Observed.msgFlags). */
      msgFlags?: number;
      controllen?: number;
      /** Expected option buffer hex (same convention as Observed.optval), or a hole. */
      optval?: string | OptHole;
      optlen?: number;
      /** Expected *offset after a sendfile (see Observed.offset). */
      offset?: number;
      /** Expected local address after the call (see Observed.bound); null: not reported. */
      bound?: { addr: string; port: number | PortHole } | null;
      /** Expected revents of a poll (see Observed.revents). */
      revents?: number[];
      /** Expected fd sets after a select (see Observed.sets). */
      sets?: SelectSets;
      /** Expected fds of a socketpair (see Observed.sv). */
      sv?: [number, number];
    };
