/**
 * The wire's names for numbers (spec/wire.md, "Symbolic numbers"): one table per kind of
 * argument, Linux x86_64 values. Data only.
 */
import * as K from './constants.js';

/** A name and its value (Linux x86_64). */
export type NameTable = readonly (readonly [string, number])[];

/** A number that has a name travels as the name; others travel as the number. */
export type Sym = string | number;

/**
 * A bit set: names, plus at most one number holding the bits without a name. Its value
 * is the bitwise OR of all elements, read as a C int. `[]` is 0.
 */
export type FlagSet = (string | number)[];

/** The tables that give wire names to numbers, one per kind of argument. */
export const WIRE_NAMES = {
  domain: [
    ['AF_UNSPEC', K.AF_UNSPEC], ['AF_UNIX', K.AF_UNIX], ['AF_INET', K.AF_INET], ['AF_INET6', K.AF_INET6],
    ['AF_NETLINK', K.AF_NETLINK], ['AF_PACKET', K.AF_PACKET], ['AF_VSOCK', K.AF_VSOCK],
  ],
  /** socket()'s base types (values under SOCK_TYPE_MASK, not bits: at most one per set). */
  sockType: [
    ['SOCK_STREAM', K.SOCK_STREAM], ['SOCK_DGRAM', K.SOCK_DGRAM], ['SOCK_RAW', K.SOCK_RAW], ['SOCK_RDM', K.SOCK_RDM],
    ['SOCK_SEQPACKET', K.SOCK_SEQPACKET], ['SOCK_DCCP', K.SOCK_DCCP], ['SOCK_PACKET', K.SOCK_PACKET],
  ],
  sockFlags: [['SOCK_NONBLOCK', K.SOCK_NONBLOCK], ['SOCK_CLOEXEC', K.SOCK_CLOEXEC]],
  msgFlags: [['MSG_OOB', K.MSG_OOB], ['MSG_PEEK', K.MSG_PEEK], ['MSG_TRUNC', K.MSG_TRUNC], ['MSG_DONTWAIT', K.MSG_DONTWAIT], ['MSG_WAITALL', K.MSG_WAITALL], ['MSG_NOSIGNAL', K.MSG_NOSIGNAL]],
  protocol: [
    ['IPPROTO_ICMP', K.IPPROTO_ICMP], ['IPPROTO_TCP', K.IPPROTO_TCP], ['IPPROTO_UDP', K.IPPROTO_UDP],
    ['IPPROTO_SCTP', K.IPPROTO_SCTP], ['IPPROTO_UDPLITE', K.IPPROTO_UDPLITE],
  ],
  fcntlCmd: [
    ['F_DUPFD', K.F_DUPFD], ['F_GETFD', K.F_GETFD], ['F_SETFD', K.F_SETFD], ['F_GETFL', K.F_GETFL], ['F_SETFL', K.F_SETFL],
    ['F_DUPFD_CLOEXEC', 1030],
  ],
  /** File status bits (F_SETFL's argument, F_GETFL's result). */
  fileFlags: [
    ['O_APPEND', 0o2000], ['O_NONBLOCK', K.O_NONBLOCK], ['O_ASYNC', 0o20000], ['O_DIRECT', 0o40000],
    ['O_LARGEFILE', K.O_LARGEFILE], ['O_NOATIME', 0o1000000], ['O_CLOEXEC', K.O_CLOEXEC],
  ],
  /** Access modes: values in the low two bits of F_GETFL's result (O_RDONLY is 0). */
  accessMode: [['O_RDONLY', K.O_RDONLY], ['O_WRONLY', K.O_WRONLY], ['O_RDWR', K.O_RDWR]],
  fdFlags: [['FD_CLOEXEC', K.FD_CLOEXEC]],
  level: [['SOL_SOCKET', K.SOL_SOCKET], ['IPPROTO_TCP', K.IPPROTO_TCP], ['IPPROTO_UDP', K.IPPROTO_UDP]],
  /** SOL_SOCKET option names; options of other levels travel as numbers. */
  solSocketOpt: [
    ['SO_DEBUG', 1], ['SO_REUSEADDR', K.SO_REUSEADDR], ['SO_TYPE', 3], ['SO_ERROR', 4], ['SO_DONTROUTE', 5],
    ['SO_BROADCAST', 6], ['SO_SNDBUF', 7], ['SO_RCVBUF', 8], ['SO_KEEPALIVE', 9], ['SO_OOBINLINE', 10],
    ['SO_LINGER', 13], ['SO_REUSEPORT', 15], ['SO_ACCEPTCONN', K.SO_ACCEPTCONN], ['SO_PROTOCOL', K.SO_PROTOCOL],
    ['SO_DOMAIN', K.SO_DOMAIN],
  ],
  /** mmap()'s protection bits and flags. */
  mmapProt: [['PROT_READ', 0x1], ['PROT_WRITE', 0x2], ['PROT_EXEC', 0x4]],
  mmapFlags: [
    ['MAP_SHARED', 0x01], ['MAP_PRIVATE', 0x02], ['MAP_POPULATE', 0x8000], ['MAP_HUGETLB', 0x40000], ['MAP_SYNC', 0x80000],
  ],
  /** socketcall()'s call numbers. */
  socketcall: [
    ['SYS_SOCKET', 1], ['SYS_BIND', 2], ['SYS_CONNECT', 3], ['SYS_LISTEN', 4], ['SYS_ACCEPT', 5], ['SYS_GETSOCKNAME', 6],
    ['SYS_GETPEERNAME', 7], ['SYS_SOCKETPAIR', 8], ['SYS_SEND', 9], ['SYS_RECV', 10], ['SYS_SENDTO', 11], ['SYS_RECVFROM', 12],
    ['SYS_SHUTDOWN', 13], ['SYS_SETSOCKOPT', 14], ['SYS_GETSOCKOPT', 15], ['SYS_SENDMSG', 16], ['SYS_RECVMSG', 17],
    ['SYS_ACCEPT4', 18], ['SYS_RECVMMSG', 19], ['SYS_SENDMMSG', 20],
  ],
} as const satisfies Record<string, NameTable>;

