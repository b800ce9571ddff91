/**
 * Numeric constants of the Linux x86_64 socket ABI used by calls, the model and the
 * C reproducer. Values are the kernel's (include/linux/socket.h, include/linux/net.h,
 * include/uapi/asm-generic/fcntl.h). Data only.
 */

export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;
export const AF_VSOCK = 40;
/** AF_MAX on current kernels: socket() answers EAFNOSUPPORT for family >= AF_MAX. */
export const AF_MAX = 46;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_RDM = 4;
export const SOCK_SEQPACKET = 5;
export const SOCK_DCCP = 6;
export const SOCK_PACKET = 10;
/** SOCK_TYPE_MASK: the low bits of socket()'s type argument that name the type. */
export const SOCK_TYPE_MASK = 0xf;
export const SOCK_MAX = SOCK_PACKET + 1;

export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_LARGEFILE = 0o100000;
export const SOCK_NONBLOCK = O_NONBLOCK;
export const SOCK_CLOEXEC = O_CLOEXEC;

export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
/** IPPROTO_IPV6 (= SOL_IPV6), the level of IPv6 socket options. */
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;
export const IPPROTO_UDPLITE = 136;

export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const FD_CLOEXEC = 1;

export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
/** SOL_SOCKET option names (include/uapi/asm-generic/socket.h). */
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_LINGER = 13;
export const SO_REUSEPORT = 15;
export const SO_ACCEPTCONN = 30;
export const SO_PROTOCOL = 38;
export const SO_DOMAIN = 39;
/** IPPROTO_IPV6 option names (include/uapi/linux/in6.h). */
export const IPV6_V6ONLY = 26;
/** SOL_TCP (= IPPROTO_TCP) option names (include/uapi/linux/tcp.h). */
export const TCP_NODELAY = 1;

/** struct sockaddr_vm's special values (include/uapi/linux/vm_sockets.h); sizeof(struct sockaddr_vm) is 16. */
export const VMADDR_CID_ANY = 0xffffffff;
export const VMADDR_PORT_ANY = 0xffffffff;
export const VMADDR_CID_HYPERVISOR = 0;
export const VMADDR_CID_LOCAL = 1;
export const VMADDR_CID_HOST = 2;
/** svm_flags' one valid bit; vsock_addr_validate refuses any other. */
export const VMADDR_FLAG_TO_HOST = 0x1;
export const SOCKADDR_VM_LEN = 16;

/** sizeof(struct sockaddr_in) and sizeof(struct sockaddr_storage). */
export const SOCKADDR_IN_LEN = 16;
export const SOCKADDR_STORAGE_LEN = 128;
/** sizeof(struct sockaddr_in6), and SIN6_LEN_RFC2133 (the RFC 2133 struct without sin6_scope_id). */
export const SOCKADDR_IN6_LEN = 28;
export const SIN6_LEN_RFC2133 = 24;

/** INADDR_ANY, INADDR_LOOPBACK as dotted quads (addresses travel as strings). */
export const INADDR_ANY = '0.0.0.0';
export const INADDR_LOOPBACK = '127.0.0.1';

/** socketcall(2) call numbers (include/uapi/linux/net.h); SYS_SENDMMSG is the last. */
export const SYS_SOCKET = 1;
export const SYS_BIND = 2;
export const SYS_CONNECT = 3;
export const SYS_LISTEN = 4;
export const SYS_ACCEPT = 5;
export const SYS_GETSOCKNAME = 6;
export const SYS_GETPEERNAME = 7;
export const SYS_SEND = 9;
export const SYS_RECV = 10;
export const SYS_SENDTO = 11;
export const SYS_RECVFROM = 12;
export const SYS_SHUTDOWN = 13;
export const SYS_SETSOCKOPT = 14;
export const SYS_GETSOCKOPT = 15;
export const SYS_SENDMSG = 16;
export const SYS_RECVMSG = 17;
export const SYS_ACCEPT4 = 18;
export const SYS_SENDMMSG = 20;
/**
 * Arguments each socketcall number takes (net/compat.c nas[], in 32-bit words; net/socket.c
 * nargs[] is the same table in longs), indexed by call number 0..SYS_SENDMMSG.
 */
export const SOCKETCALL_NARGS: readonly number[] = [0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4];
/** The socketcall number of each call socketcall can carry here. */
export const SOCKETCALL_NUM = {
  socket: SYS_SOCKET, bind: SYS_BIND, connect: SYS_CONNECT, listen: SYS_LISTEN, accept: SYS_ACCEPT,
  getsockname: SYS_GETSOCKNAME, getpeername: SYS_GETPEERNAME, setsockopt: SYS_SETSOCKOPT, accept4: SYS_ACCEPT4,
  shutdown: SYS_SHUTDOWN, getsockopt: SYS_GETSOCKOPT, send: SYS_SEND, sendto: SYS_SENDTO, recv: SYS_RECV,
  recvfrom: SYS_RECVFROM, sendmsg: SYS_SENDMSG, recvmsg: SYS_RECVMSG,
} as const;

/** poll(2) event bits (include/uapi/asm-generic/poll.h; x86 needs no mangling). */
export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLRDNORM = 0x40;
export const POLLRDBAND = 0x80;
export const POLLWRNORM = 0x100;
export const POLLWRBAND = 0x200;
export const POLLMSG = 0x400;
export const POLLRDHUP = 0x2000;
/** The poll bits by name, in bit order (for renderers). */
export const POLL_NAMES: readonly [string, number][] = [
  ['POLLIN', POLLIN], ['POLLPRI', POLLPRI], ['POLLOUT', POLLOUT], ['POLLERR', POLLERR], ['POLLHUP', POLLHUP],
  ['POLLNVAL', POLLNVAL], ['POLLRDNORM', POLLRDNORM], ['POLLRDBAND', POLLRDBAND], ['POLLWRNORM', POLLWRNORM],
  ['POLLWRBAND', POLLWRBAND], ['POLLMSG', POLLMSG], ['POLLRDHUP', POLLRDHUP],
];
/** Members of a generated fd_set stay below this (NR_OPEN_DEFAULT, see FdSet in call.ts). */
export const FDSET_LIMIT = 64;

/** send/recv flags (include/linux/socket.h). */
export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;
export const MSG_CTRUNC = 0x8;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_DONTROUTE = 0x4;
export const MSG_PROBE = 0x10;
export const MSG_EOR = 0x80;
export const MSG_FIN = 0x200;
export const MSG_SYN = 0x400;
export const MSG_CONFIRM = 0x800;
export const MSG_RST = 0x1000;
export const MSG_ERRQUEUE = 0x2000;
export const MSG_MORE = 0x8000;
export const MSG_WAITFORONE = 0x10000;
export const MSG_BATCH = 0x40000;
export const MSG_SOCK_DEVMEM = 0x2000000;
export const MSG_ZEROCOPY = 0x4000000;
export const MSG_SPLICE_PAGES = 0x8000000;
export const MSG_FASTOPEN = 0x20000000;
export const MSG_CMSG_CLOEXEC = 0x40000000;
/** The MSG_ bits by name, in bit order (include/linux/socket.h; for messages and renderers). */
export const MSG_NAMES: readonly [string, number][] = [
  ['MSG_OOB', 0x1], ['MSG_PEEK', 0x2], ['MSG_DONTROUTE', 0x4], ['MSG_CTRUNC', 0x8], ['MSG_PROBE', 0x10],
  ['MSG_TRUNC', 0x20], ['MSG_DONTWAIT', 0x40], ['MSG_EOR', 0x80], ['MSG_WAITALL', 0x100], ['MSG_FIN', 0x200],
  ['MSG_SYN', 0x400], ['MSG_CONFIRM', 0x800], ['MSG_RST', 0x1000], ['MSG_ERRQUEUE', 0x2000], ['MSG_NOSIGNAL', 0x4000],
  ['MSG_MORE', 0x8000], ['MSG_WAITFORONE', 0x10000], ['MSG_BATCH', 0x40000], ['MSG_SOCK_DEVMEM', 0x2000000],
  ['MSG_ZEROCOPY', 0x4000000], ['MSG_SPLICE_PAGES', 0x8000000], ['MSG_FASTOPEN', 0x20000000],
  ['MSG_CMSG_CLOEXEC', 0x40000000], ['MSG_CMSG_COMPAT', 0x80000000],
];
/** Set by the compat entry (socketcall) on its way in; refused from user space by sendmsg/recvmsg (EINVAL). */
export const MSG_CMSG_COMPAT = 0x80000000;
/** UIO_MAXIOV: the most iovecs a msghdr may have (include/uapi/linux/uio.h). */
export const UIO_MAXIOV = 1024;
