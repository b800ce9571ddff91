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
  | { ptr: 'ok'; len: number; family: number; addr: string; port: number; flowinfo?: number; scope_id?: number; vm?: SockaddrVm }
  | { ptr: 'null' | 'bad'; len: number };

/**
 * With `vm`, the buffer holds a struct sockaddr_vm instead of a sockaddr_in (same 16
 * bytes: family, 2 reserved bytes, svm_port and svm_cid as host-order u32, svm_flags, 3
 * zero bytes): the address's `port` is svm_port and `addr` is unused ('0.0.0.0').
 */
export interface SockaddrVm {
  cid: number;
  flags: number;
}

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
  /** socketpair(domain, type, protocol, sv): `sv` is the int[2] the two fds are stored in. */
  | { op: 'socketpair'; domain: number; type: number; protocol: number; sv: Ptr }
  | { op: 'bind'; fd: number; addr: AddrIn }
  | { op: 'listen'; fd: number; backlog: number }
  | { op: 'accept'; fd: number; out: AddrOut }
  | { op: 'accept4'; fd: number; out: AddrOut; flags: number }
  | { op: 'connect'; fd: number; addr: AddrIn }
  | { op: 'getsockname'; fd: number; out: AddrOut }
  | { op: 'getpeername'; fd: number; out: AddrOut }
  | { op: 'close'; fd: number }
  | { op: 'fcntl'; fd: number; cmd: number; arg: number }
  /**
   * `value` is an int at `ptr` (absent: a valid pointer), `optlen` as passed; with `linger`,
   * a struct linger: `value` is l_onoff and `linger` the int after it, l_linger (SO_LINGER).
   */
  | { op: 'setsockopt'; fd: number; level: number; name: number; value: number; optlen: number; ptr?: Ptr; linger?: number }
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
  | { op: 'recvfrom'; fd: number; len: number; flags: number; out: AddrOut }
  /** sendmsg(fd, msg, flags): `msg` a struct msghdr, or a NULL/faulting pointer. */
  | { op: 'sendmsg'; fd: number; msg: MsgIn; flags: number }
  /** recvmsg(fd, msg, flags): `msg` a struct msghdr, or a NULL/faulting pointer. */
  | { op: 'recvmsg'; fd: number; msg: MsgOut; flags: number }
  /**
   * sendfile(fd, inFd, offset, count) through sendfile64 (on x86_64 the libc `sendfile`
   * and syscall 40 are sys_sendfile64: a 64-bit loff_t offset). `fd` is out_fd. `count`
   * is a size_t: a negative number stands for its two's complement (-1 is SIZE_MAX).
   */
  | { op: 'sendfile'; fd: number; inFd: number; offset: Offset; count: number };

/**
 * One struct iovec of a sendmsg: a buffer holding `data` (hex; iov_len its byte count), or
 * a NULL base with iov_len `len` (as a 64-bit size_t: a negative one is refused; only 0 and
 * negative lengths are in scope, a positive one would fault during the copy).
 */
export type IovIn = { ptr: 'ok'; data: string } | { ptr: 'null'; len: number };
/** One struct iovec of a recvmsg: a buffer of `len` bytes, or a NULL base with iov_len `len` (as for IovIn). */
export interface IovOut {
  ptr: 'ok' | 'null';
  len: number;
}

/**
 * The struct msghdr fields common to both directions: msg_iov (`iov`: the array pointer;
 * a valid array holds `iovs`, followed by {NULL, 0} entries up to `iovlen`), msg_iovlen,
 * msg_control (`control`: a valid pointer is a zero-filled buffer of `controllen` bytes)
 * and msg_controllen (a size_t, passed as given), msg_flags as passed in.
 */
export interface MsgCommon<I> {
  iov: Ptr;
  iovs: I[];
  iovlen: number;
  control: Ptr;
  controllen: number;
  flags: number;
}

/** sendmsg's msghdr: msg_name/msg_namelen as sendto's address (ptr 'null': msg_name NULL with that namelen). */
export type MsgIn = ({ ptr: 'ok'; name: AddrIn } & MsgCommon<IovIn>) | { ptr: 'null' | 'bad' };
/**
 * recvmsg's msghdr: msg_name (`name.ptr`: a buffer filled with 0xa5 before the call, as
 * for AddrOut) and msg_namelen before the call (`name.len`).
 */
export type MsgOut = ({ ptr: 'ok'; name: { ptr: Ptr; len: number } } & MsgCommon<IovOut>) | { ptr: 'null' | 'bad' };

/** The total bytes a sendmsg's iovecs hold (hex), in order. */
export function msgData(m: Extract<MsgIn, { ptr: 'ok' }>): string {
  return m.iovs.slice(0, Math.max(0, Math.min(m.iovlen, m.iovs.length))).map((v) => (v.ptr === 'ok' ? v.data : '')).join('');
}

/**
 * sendfile's `loff_t *offset`: NULL (use and advance the file position), a faulting
 * pointer, or a valid one holding `value` (read first, the new offset written back).
 * Values are safe integers: every offset of interest (negative ones, EOF, the ext4
 * s_maxbytes) is one; only an offset whose sum with count overflows loff_t is not.
 */
export type Offset = { ptr: 'ok'; value: number } | { ptr: 'null' | 'bad' };

/** The largest payload a send carries and the size of recv's buffer (bytes). */
export const DATA_MAX = 128;

/** The calls socketcall can carry (the modelled ones of its table). */
export type SocketcallInner = Extract<Call, {
  op: 'socket' | 'bind' | 'connect' | 'listen' | 'accept' | 'accept4' | 'getsockname' | 'getpeername' | 'setsockopt' | 'getsockopt' | 'shutdown'
    | 'send' | 'sendto' | 'recv' | 'recvfrom' | 'sendmsg' | 'recvmsg';
}>;

/** The name of a call's syscall. */
export type Op = Call['op'];

/** Every op, in a fixed order (for per-syscall counts and tables). */
export const OPS: readonly Op[] = [
  'socket', 'bind', 'listen', 'accept', 'accept4', 'connect',
  'getsockname', 'getpeername', 'close', 'fcntl', 'setsockopt', 'getsockopt', 'shutdown', 'socketcall', 'mmap',
  'poll', 'select', 'send', 'sendto', 'recv', 'recvfrom', 'sendmsg', 'recvmsg', 'socketpair', 'sendfile',
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
  return call.op === 'socket' || call.op === 'socketpair' || call.op === 'poll' || call.op === 'select' ? undefined : call.fd;
}
