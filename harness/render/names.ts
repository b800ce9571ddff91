/**
 * Symbolic names for the numbers in calls and results (Linux x86_64 values): socket
 * domains, types and their flags, protocols, fcntl commands and their flag arguments,
 * socket option levels and names. A number without a name is printed as itself; bits
 * without a name are printed as one hex leftover (`|0x100`). Pure; never throws.
 */
import { POLL_NAMES } from '../../spec/constants.js';
import { REVENTS_UNTOUCHED } from '../../spec/observed.js';
import {
  AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_UNIX, AF_UNSPEC, AF_VSOCK, F_DUPFD, F_GETFD, F_GETFL, F_SETFD,
  F_SETFL, FD_CLOEXEC, IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE,
  O_CLOEXEC, O_LARGEFILE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, SOCK_CLOEXEC, SOCK_DCCP, SOCK_DGRAM,
  SOCK_NONBLOCK, SOCK_PACKET, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_STREAM, SOCK_TYPE_MASK, SOL_SOCKET,
  SO_REUSEADDR, TCP_NODELAY,
} from '../../spec/constants.js';

/** A name and its value. Tables are ordered as they are printed. */
export type NameTable = readonly (readonly [string, number])[];

/** File status bits that spec/constants.ts does not list (include/uapi/asm-generic/fcntl.h). */
export const O_APPEND = 0o2000;
export const O_ASYNC = 0o20000;
export const O_DIRECT = 0o40000;
export const O_NOATIME = 0o1000000;
/** fcntl(2) commands that spec/constants.ts does not list. */
export const F_DUPFD_CLOEXEC = 1030;

/** socket() domains (address families). */
export const DOMAINS: NameTable = [
  ['AF_UNSPEC', AF_UNSPEC], ['AF_UNIX', AF_UNIX], ['AF_INET', AF_INET], ['AF_INET6', AF_INET6],
  ['AF_NETLINK', AF_NETLINK], ['AF_PACKET', AF_PACKET], ['AF_VSOCK', AF_VSOCK],
];

/** socket() base types (the bits under SOCK_TYPE_MASK). */
export const SOCK_TYPES: NameTable = [
  ['SOCK_STREAM', SOCK_STREAM], ['SOCK_DGRAM', SOCK_DGRAM], ['SOCK_RAW', SOCK_RAW], ['SOCK_RDM', SOCK_RDM],
  ['SOCK_SEQPACKET', SOCK_SEQPACKET], ['SOCK_DCCP', SOCK_DCCP], ['SOCK_PACKET', SOCK_PACKET],
];

/** Flags accepted in socket()'s type and in accept4()'s flags. */
export const SOCK_FLAGS: NameTable = [['SOCK_NONBLOCK', SOCK_NONBLOCK], ['SOCK_CLOEXEC', SOCK_CLOEXEC]];

/** Internet protocol numbers (IPPROTO_IP, 0, is printed as 0). */
export const PROTOCOLS: NameTable = [
  ['IPPROTO_ICMP', IPPROTO_ICMP], ['IPPROTO_TCP', IPPROTO_TCP], ['IPPROTO_UDP', IPPROTO_UDP],
  ['IPPROTO_SCTP', IPPROTO_SCTP], ['IPPROTO_UDPLITE', IPPROTO_UDPLITE],
];

/** fcntl() commands. */
export const FCNTL_CMDS: NameTable = [
  ['F_DUPFD', F_DUPFD], ['F_GETFD', F_GETFD], ['F_SETFD', F_SETFD], ['F_GETFL', F_GETFL], ['F_SETFL', F_SETFL],
  ['F_GETLK', 5], ['F_SETLK', 6], ['F_SETLKW', 7], ['F_SETOWN', 8], ['F_GETOWN', 9], ['F_SETSIG', 10],
  ['F_GETSIG', 11], ['F_DUPFD_CLOEXEC', F_DUPFD_CLOEXEC],
];

/** File access modes: the low two bits of the file status flags. */
export const ACCESS_MODES: NameTable = [['O_RDONLY', O_RDONLY], ['O_WRONLY', O_WRONLY], ['O_RDWR', O_RDWR]];
const O_ACCMODE = 3;

/** File status bits, as F_GETFL reports them and F_SETFL takes them. */
export const O_FLAGS: NameTable = [
  ['O_APPEND', O_APPEND], ['O_NONBLOCK', O_NONBLOCK], ['O_ASYNC', O_ASYNC], ['O_DIRECT', O_DIRECT],
  ['O_LARGEFILE', O_LARGEFILE], ['O_NOATIME', O_NOATIME], ['O_CLOEXEC', O_CLOEXEC],
];

/** File descriptor flags (F_GETFD, F_SETFD). */
export const FD_FLAGS: NameTable = [['FD_CLOEXEC', FD_CLOEXEC]];

/** setsockopt() levels. */
export const LEVELS: NameTable = [['SOL_SOCKET', SOL_SOCKET], ['IPPROTO_TCP', IPPROTO_TCP], ['IPPROTO_UDP', IPPROTO_UDP]];

/** SOL_SOCKET option names (include/uapi/asm-generic/socket.h). */
export const SOL_SOCKET_OPTS: NameTable = [
  ['SO_DEBUG', 1], ['SO_REUSEADDR', SO_REUSEADDR], ['SO_TYPE', 3], ['SO_ERROR', 4], ['SO_DONTROUTE', 5],
  ['SO_BROADCAST', 6], ['SO_SNDBUF', 7], ['SO_RCVBUF', 8], ['SO_KEEPALIVE', 9], ['SO_OOBINLINE', 10],
  ['SO_LINGER', 13], ['SO_REUSEPORT', 15], ['SO_ACCEPTCONN', 30], ['SO_PROTOCOL', 38], ['SO_DOMAIN', 39],
];

/** IPPROTO_TCP option names (include/uapi/linux/tcp.h). */
export const TCP_OPTS: NameTable = [['TCP_NODELAY', TCP_NODELAY]];

/** poll(2) event bits (spec/constants.ts POLL_NAMES). */
export const POLL_FLAGS: NameTable = POLL_NAMES;

/** A poll events or revents value: `POLLIN|POLLOUT`, `0`; revents the kernel did not write: `untouched`. */
export function pollBitsName(n: number, revents = false): string {
  if (revents && n === REVENTS_UNTOUCHED) return 'untouched';
  return flagsOf(POLL_FLAGS, n);
}

/** The name of `n` in `table`, or `n` in decimal. */
export function nameOf(table: NameTable, n: number): string {
  for (const [name, v] of table) if (v === n) return name;
  return String(n);
}

/** `n` as an unsigned 32-bit hex literal (`0x100`). */
export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/**
 * A bit set as `NAME|NAME|0x..`: named bits in table order, then the leftover bits as
 * one hex number; `0` when nothing is set. Works on the unsigned 32-bit view of `n`.
 */
export function flagsOf(table: NameTable, n: number): string {
  let rest = n >>> 0;
  const parts: string[] = [];
  for (const [name, v] of table) {
    if (v !== 0 && (rest & v) >>> 0 === v) {
      parts.push(name);
      rest = (rest & ~v) >>> 0;
    }
  }
  if (rest !== 0) parts.push(hex32(rest));
  return parts.length === 0 ? '0' : parts.join('|');
}

/** socket()'s domain: `AF_INET`, or the number. */
export function domainName(n: number): string {
  return nameOf(DOMAINS, n);
}

/** socket()'s type: the base type (named or a number) and its flags, e.g. `SOCK_STREAM|SOCK_NONBLOCK|0x100`. */
export function sockTypeName(n: number): string {
  const u = n >>> 0;
  const base = u & SOCK_TYPE_MASK;
  const flags = flagsOf(SOCK_FLAGS, (u & ~SOCK_TYPE_MASK) >>> 0);
  const b = nameOf(SOCK_TYPES, base);
  return flags === '0' ? b : `${b}|${flags}`;
}

/** socket()'s protocol: named only for the Internet domains (0 stays `0`). */
export function protocolName(domain: number, n: number): string {
  return domain === AF_INET || domain === AF_INET6 ? nameOf(PROTOCOLS, n) : String(n);
}

/** accept4()'s flags: `SOCK_NONBLOCK|SOCK_CLOEXEC`, `0`, leftover bits in hex. */
export function acceptFlagsName(n: number): string {
  return flagsOf(SOCK_FLAGS, n);
}

/** fcntl()'s command: `F_GETFL`, or the number. */
export function fcntlCmdName(n: number): string {
  return nameOf(FCNTL_CMDS, n);
}

/** F_SETFL's argument: status bits only (the access mode is ignored by the kernel, shown as leftover bits). */
export function setflArgName(n: number): string {
  return flagsOf(O_FLAGS, n);
}

/** F_GETFL's result: the access mode, then the status bits, e.g. `O_RDWR|O_LARGEFILE`. */
export function getflResultName(n: number): string {
  const u = n >>> 0;
  const mode = u & O_ACCMODE;
  const m = mode === O_ACCMODE ? hex32(mode) : nameOf(ACCESS_MODES, mode);
  const bits = flagsOf(O_FLAGS, (u & ~O_ACCMODE) >>> 0);
  return bits === '0' ? m : `${m}|${bits}`;
}

/** F_SETFD's argument and F_GETFD's result: `FD_CLOEXEC`, `0`, leftover bits in hex. */
export function fdFlagsName(n: number): string {
  return flagsOf(FD_FLAGS, n);
}

/** setsockopt()'s level: `SOL_SOCKET`, or the number. */
export function levelName(n: number): string {
  return nameOf(LEVELS, n);
}

/** setsockopt()'s and getsockopt()'s option name: named for SOL_SOCKET and IPPROTO_TCP, else the number. */
export function optName(level: number, n: number): string {
  return level === SOL_SOCKET ? nameOf(SOL_SOCKET_OPTS, n) : level === IPPROTO_TCP ? nameOf(TCP_OPTS, n) : String(n);
}

/** socketcall()'s call numbers (include/uapi/linux/net.h). */
export const SOCKETCALLS: NameTable = [
  ['SYS_SOCKET', 1], ['SYS_BIND', 2], ['SYS_CONNECT', 3], ['SYS_LISTEN', 4], ['SYS_ACCEPT', 5], ['SYS_GETSOCKNAME', 6],
  ['SYS_GETPEERNAME', 7], ['SYS_SOCKETPAIR', 8], ['SYS_SEND', 9], ['SYS_RECV', 10], ['SYS_SENDTO', 11], ['SYS_RECVFROM', 12],
  ['SYS_SHUTDOWN', 13], ['SYS_SETSOCKOPT', 14], ['SYS_GETSOCKOPT', 15], ['SYS_SENDMSG', 16], ['SYS_RECVMSG', 17],
  ['SYS_ACCEPT4', 18], ['SYS_RECVMMSG', 19], ['SYS_SENDMMSG', 20],
];

/** socketcall()'s call number: `SYS_BIND`, or the number. */
export function socketcallName(n: number): string {
  return nameOf(SOCKETCALLS, n);
}

/** mmap()'s protection bits (PROT_NONE is 0). */
export const MMAP_PROT: NameTable = [['PROT_READ', 0x1], ['PROT_WRITE', 0x2], ['PROT_EXEC', 0x4]];
/** mmap()'s map type and the flags sockspec draws (MAP_SHARED_VALIDATE is both type bits). */
export const MMAP_FLAGS: NameTable = [
  ['MAP_SHARED_VALIDATE', 0x03], ['MAP_SHARED', 0x01], ['MAP_PRIVATE', 0x02], ['MAP_POPULATE', 0x8000], ['MAP_HUGETLB', 0x40000], ['MAP_SYNC', 0x80000],
];
