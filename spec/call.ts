/**
 * The concrete system calls that sockspec executes, records and replays. File
 * descriptors are the sequence's own numbers (the model's fd table, which every adapter
 * maps onto its real descriptors); pointers are symbolic so that EFAULT can be provoked;
 * flags and types are plain numbers so that invalid bits can be expressed (renderers
 * print them as names plus leftover bits). Data only.
 */

/** A user pointer: a valid buffer, NULL, or an address that faults. */
export type Ptr = 'ok' | 'null' | 'bad';

import { SOCKETCALL_NUM } from './constants.js';

/**
 * An address passed into the kernel (bind, connect, sendto): a buffer of `len` bytes laid
 * out as a sockaddr_in when `addr` is dotted text, as a sockaddr_in6 (with `flowinfo` and
 * `scope_id`, 0 when absent) when it is IPv6 text, zero-filled up to sockaddr_storage
 * (spec/inet6.ts sockaddrBytes); `family` is written as given. Or a NULL/faulting pointer
 * with a length.
 */
export type AddrIn =
  | { ptr: 'ok'; len: number; family: number; addr: string; port: number; flowinfo?: number; scope_id?: number }
  | { ptr: 'null' | 'bad'; len: number };

/**
 * An address the kernel writes back (accept, getsockname, getpeername): the buffer
 * pointer, the `socklen_t *` pointer, and the length stored there before the call.
 */
export interface AddrOut {
  ptr: Ptr;
  lenPtr: Ptr;
  len: number;
}

/**
 * A socket option coming out (getsockopt): the buffer pointer, the `socklen_t *`
 * pointer, and the length stored there before the call.
 */
export interface OptOut {
  ptr: Ptr;
  lenPtr: Ptr;
  len: number;
}

/** One struct pollfd as passed in: the fd (the sequence's number; negative: ignored) and events. */
export interface PollEntry {
  fd: number;
  /** The events mask (a short: only its low 16 bits reach the kernel). */
  events: number;
}

/**
 * An fd_set passed to select: NULL, a faulting pointer, or a valid set whose members are
 * the sequence's fds, each in [0, 64). Every process's fd table has room for at least 64
 * fds (NR_OPEN_DEFAULT) and select clamps nfds to the table's size (core_sys_select), which
 * depends on the process's history; below 64 the clamp never drops a member.
 */
export type FdSet = { ptr: 'ok'; fds: number[] } | { ptr: 'null' | 'bad' };

/** select's struct timeval *: NULL (wait forever), a faulting pointer, or a value. */
export type Timeval = { ptr: 'ok'; sec: number; usec: number } | { ptr: 'null' | 'bad' };

export type Call =
  | { op: 'socket'; domain: number; type: number; protocol: number }
  | { op: 'bind'; fd: number; addr: AddrIn }
  | { op: 'listen'; fd: number; backlog: number }
  | { op: 'accept'; fd: number; out: AddrOut }
  | { op: 'accept4'; fd: number; out: AddrOut; flags: number }
  | { op: 'connect'; fd: number; addr: AddrIn }
  | { op: 'getsockname'; fd: number; out: AddrOut }
  | { op: 'getpeername'; fd: number; out: AddrOut }
  | { op: 'close'; fd: number }
  | { op: 'fcntl'; fd: number; cmd: number; arg: number }
  /** `value` is an int at `ptr` (absent: a valid pointer), `optlen` as passed. */
  | { op: 'setsockopt'; fd: number; level: number; name: number; value: number; optlen: number; ptr?: Ptr }
  | { op: 'getsockopt'; fd: number; level: number; name: number; opt: OptOut }
  | { op: 'shutdown'; fd: number; how: number }
  /**
   * mmap(NULL, len, prot, flags, fd, offset): never MAP_ANONYMOUS or MAP_FIXED; a mapping
   * that is made is unmapped at once, and reported as ret 0.
   */
  | { op: 'mmap'; fd: number; len: number; prot: number; flags: number; offset: number }
  /**
   * poll(2): `nfds` entries read from `fds` (a valid array holds `entries`, followed by
   * {fd: -1} entries up to nfds when nfds is larger); `timeout` in ms.
   */
  | { op: 'poll'; fds: Ptr; entries: PollEntry[]; nfds: number; timeout: number }
  /** select(2): the three sets and the timeout, nfds as given. */
  | { op: 'select'; nfds: number; read: FdSet; write: FdSet; except: FdSet; timeout: Timeval }
  /**
   * socketcall(2), the multiplexer, through the 32-bit compat entry: call number `num`,
   * its argument array at `args` (of which only the first `readable` 32-bit words can be
   * read, when given: the rest lies on an unmapped page), holding the arguments of
   * `call` (present when `args` is 'ok'; its op is the one `num` names).
   */
  | { op: 'socketcall'; num: number; args: Ptr; readable?: number; call?: SocketcallInner }
  /** send(fd, buf, len, flags): `data` is the payload as hex (len = its byte count, at most DATA_MAX). */
  | { op: 'send'; fd: number; data: string; flags: number }
  /** sendto(fd, buf, len, flags, addr, addrlen): `addr` with ptr 'null' passes NULL (and its len). */
  | { op: 'sendto'; fd: number; data: string; flags: number; addr: AddrIn }
  /** recv(fd, buf, len, flags) into a buffer of DATA_MAX bytes (len <= DATA_MAX). */
  | { op: 'recv'; fd: number; len: number; flags: number }
  /** recvfrom(fd, buf, len, flags, addr, addrlen): the source address comes out as for accept. */
  | { op: 'recvfrom'; fd: number; len: number; flags: number; out: AddrOut };

/** The largest payload a send carries and the size of recv's buffer (bytes). */
export const DATA_MAX = 128;

/** The calls socketcall can carry (the modelled ones of its table). */
export type SocketcallInner = Extract<Call, { op: 'socket' | 'bind' | 'connect' | 'listen' | 'accept' | 'accept4' | 'getsockname' | 'getpeername' | 'setsockopt' | 'getsockopt' | 'shutdown' }>;

/** The name of a call's syscall. */
export type Op = Call['op'];

/** Every op, in a fixed order (for per-syscall counts and tables). */
export const OPS: readonly Op[] = [
  'socket', 'bind', 'listen', 'accept', 'accept4', 'connect',
  'getsockname', 'getpeername', 'close', 'fcntl', 'setsockopt', 'getsockopt', 'shutdown', 'socketcall', 'mmap',
  'poll', 'select', 'send', 'sendto', 'recv', 'recvfrom',
];

/**
 * The call that acts: for a socketcall whose readable argument array carries a call of
 * its number, that call (made through the multiplexer; its out-parameters are reported);
 * otherwise the call itself.
 */
export function actingCall(c: Call): Call {
  if (c.op !== 'socketcall' || c.args !== 'ok' || c.call === undefined) return c;
  return SOCKETCALL_NUM[c.call.op] === c.num ? c.call : c;
}

/** The fd a call acts on, or undefined for calls that take none (socket) or several (poll, select). */
export function callFd(call: Call): number | undefined {
  if (call.op === 'socketcall') return call.call === undefined ? undefined : callFd(call.call);
  return call.op === 'socket' || call.op === 'poll' || call.op === 'select' ? undefined : call.fd;
}
