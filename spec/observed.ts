/**
 * What an implementation answered to one call. Data only.
 */
import type { ErrnoName } from './errno.js';

/** The most option bytes an observation shows (Returned.optval). */
export const OPTVAL_SHOWN = 16;

/** A local address as reported by getsockname, for calls that may choose a port. */
export interface Bound {
  addr: string;
  port: number;
}

/** The call returned. */
export interface Returned {
  kind: 'returned';
  /** The return value; -1 with `errno` on failure. New fds are the sequence's numbers. */
  ret: number;
  errno?: ErrnoName | `E${number}`;
  /**
   * For calls with an AddrOut whose buffer pointer is valid: hex of the caller's buffer
   * after the call (its first min(len, 128) bytes, len as passed; the adapter fills the
   * buffer with 0xa5 before the call, so untouched bytes show as a5).
   */
  addr?: string;
  /** For calls with an AddrOut whose length pointer is valid: *addrlen after the call. */
  addrlen?: number;
  /**
   * For getsockopt whose buffer pointer is valid: hex of the caller's option buffer after
   * the call (its first min(len, OPTVAL_SHOWN) bytes, len as passed; filled with 0xa5 before the
   * call, so untouched bytes show as a5).
   */
  optval?: string;
  /**
   * For recv and recvfrom that returned n >= 0: hex of the first min(n, len) bytes of the
   * caller's buffer after the call (the adapter fills it with 0xa5 first).
   */
  data?: string;
  /**
   * For recvmsg with a valid msghdr: msg_flags and msg_controllen as they are in the msghdr
   * after the call (the values passed in when the kernel did not write them). msg_namelen
   * after the call is `addrlen`, and msg_name's buffer `addr`, as for recvfrom; the bytes
   * scattered into the iovecs are `data` (the iovec buffers in order, first min(n, total)).
   */
  msgFlags?: number;
  controllen?: number;
  /** For getsockopt whose length pointer is valid: *optlen after the call. */
  optlen?: number;
  /** For sendfile with a valid offset pointer whose value was read: *offset after the call. */
  offset?: number;
  /**
   * For bind, listen, connect, send, sendto and sendfile (which may pick an ephemeral port): the socket's local
   * address after the call, read with getsockname by the adapter (a read that changes
   * nothing). Absent if the fd was not a socket or getsockname failed.
   */
  bound?: Bound;
  /**
   * For poll with a valid fds pointer: each entry's revents after the call, as an unsigned
   * 16-bit value, in the order of the call's entries (the adapter fills revents with
   * REVENTS_UNTOUCHED before the call, so an entry the kernel did not write shows it).
   */
  revents?: number[];
  /**
   * For select: the members of each valid set after the call, ascending (a set the kernel
   * did not write back still holds the members passed in).
   */
  sets?: SelectSets;
  /** For socketpair that returned 0 with a valid sv: the two fds stored there (the sequence's numbers). */
  sv?: [number, number];
}

/** The fd sets after a select, one list per valid set pointer (absent: NULL or bad). */
export interface SelectSets {
  read?: number[];
  write?: number[];
  except?: number[];
}

/** What an adapter stores in every revents before a poll (0xa5a5, as for address buffers). */
export const REVENTS_UNTOUCHED = 0xa5a5;

export type Observed =
  | Returned
  /**
   * The call did not finish within the deadline; it was interrupted (EINTR) and counts as
   * blocked. `bound` as for Returned (an interrupted connect has chosen its port).
   */
  | { kind: 'blocked'; bound?: Bound }
  /** The implementation died while executing the call. */
  | { kind: 'crashed'; detail: string }
  /** The implementation cannot execute this kind of call at all. */
  | { kind: 'unsupported'; detail: string };
