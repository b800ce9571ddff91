/*
 * Which accept/accept4/connect calls the kernel will not sleep in, so that the shim can
 * make them on the Node main thread instead of on a worker thread under a deadline.
 *
 * A call classed "will not sleep" runs without a timer on the main thread, so the class
 * must be exact; a call classed "may sleep" takes the timed path, which is always right.
 * The probes only read: fcntl(F_GETFL), getsockopt(SO_DOMAIN, SO_TYPE, SO_PROTOCOL,
 * SO_ACCEPTCONN, TCP_INFO), poll() with timeout 0. SO_ERROR is never read (sock_getsockopt
 * clears sk_err). Kernel functions are named as in Linux 6.18; each claim about the
 * kernel below was also checked by experiment on this machine's 6.18 kernel.
 *
 * Socket kinds (sock_kind). Not a socket: __sys_accept4_file / do_accept and
 * __sys_connect / __sys_connect_file fail (EBADF, EINVAL, EFAULT, ENOTSOCK) before any
 * protocol code, so nothing sleeps. (AF_INET, SOCK_STREAM, IPPROTO_TCP): inet_create
 * picks the permanent tcp entry, inet_stream_ops: accept = inet_accept -> inet_csk_accept,
 * connect = inet_stream_connect -> __inet_stream_connect. (AF_INET, SOCK_DGRAM,
 * IPPROTO_UDP): inet_dgram_ops: accept = sock_no_accept (EOPNOTSUPP), connect =
 * inet_dgram_connect, which never waits. Every other socket takes the timed path.
 *
 * accept. do_accept passes the protocol arg->flags = the listening file's f_flags
 * (accept4's SOCK_NONBLOCK only marks the new file). inet_csk_accept returns EINVAL unless
 * sk_state == TCP_LISTEN, and sleeps (inet_csk_wait_for_connect) only when
 * reqsk_queue_empty() and timeo = sock_rcvtimeo(sk, O_NONBLOCK) != 0. So it cannot sleep
 * when the file has O_NONBLOCK, when the socket does not listen (SO_ACCEPTCONN reads
 * sk_state == TCP_LISTEN), or when the queue holds a connection (tcp_poll on a listener is
 * inet_csk_listen_poll: POLLIN iff !reqsk_queue_empty()). Only accept empties the queue,
 * and this thread makes no call between the probe and the accept.
 *
 * connect on a blocking TCP socket. Let B be the blocking call and N the same call made
 * with O_NONBLOCK. In __inet_stream_connect the file flags matter only through
 * timeo = sock_sndtimeo(sk, flags & O_NONBLOCK) and the `flags` handed to tcp_disconnect
 * (AF_UNSPEC, sock_error path), which never reads them; tcp_v4_connect does not get them.
 * timeo is read only when sk_state is SYN_SENT or SYN_RECV at the check after the switch:
 * there N returns the err set by the switch at once, while B waits in
 * inet_wait_for_connect. In any other state N and B run the same code (TCP_CLOSE:
 * sock_error() and disconnect; else SS_CONNECTED and 0). Hence:
 *  1. If N returns anything but EINPROGRESS or EALREADY, B returns the same and leaves the
 *     same state: errors before SS_CONNECTING (EINVAL, EAFNOSUPPORT, EADDRNOTAVAIL,
 *     ENETUNREACH, EISCONN on a listener or a connected socket), the AF_UNSPEC disconnect,
 *     an SS_CONNECTING socket whose handshake has ended. (The switch sets EINPROGRESS or
 *     EALREADY only on the paths that go on to that check; tcp_v4_connect and sock_error
 *     never return them: sk_err holds ECONNREFUSED, ECONNRESET, ETIMEDOUT or an ICMP error.)
 *  2. If N returns EINPROGRESS or EALREADY, N has done what B does before its wait: sent the
 *     SYN, set SS_CONNECTING, and in release_sock processed the backlog (on loopback the
 *     SYN-ACK or RST is already there), which B does in inet_wait_for_connect's first
 *     release_sock. A blocking call B2 then completes it as B would: B2 finds SS_CONNECTING
 *     (err = EALREADY) and
 *       - if sk_state is SYN_SENT or SYN_RECV, waits in inet_wait_for_connect as B would.
 *         With timeo = MAX_SCHEDULE_TIMEOUT the wait returns nonzero, so err is replaced
 *         (signal: EINTR, observed as blocked; else the tail below) and EALREADY never
 *         shows where B would show EINPROGRESS. B2 goes to the timed path.
 *       - otherwise (tcpi_state from TCP_INFO), does not wait and returns sock_error() for
 *         TCP_CLOSE (refused: tcp_reset set sk_err = ECONNREFUSED) or 0, running the same
 *         disconnect as B. B2 runs here. The state cannot go back to SYN_SENT or SYN_RECV
 *         before B2: only tcp_v4_connect enters SYN_SENT and SYN_RECV follows only it.
 *     If N returned EALREADY with the socket still in SYN_SENT (a full queue), N changed
 *     nothing and B2 is B.
 *  3. UDP connect never sleeps (inet_dgram_connect), and O_NONBLOCK sockets are N already.
 * Two socket options break "N and B differ only by the wait", and the shim stops splitting
 * for the rest of the session once any setsockopt names one (nosleep_breaks_split):
 * SO_SNDTIMEO (negative: sk_sndtimeo = 0, B returns EINPROGRESS at once, and getsockopt
 * reads 0 as "no timeout"; finite: B gives up with EINPROGRESS where B2 would say EALREADY)
 * and TCP_FASTOPEN_CONNECT (with DEFER_CONNECT, N on an SS_CONNECTING socket returns
 * EISCONN where B waits). Every socket of a session starts with neither (sock_init_data:
 * sk_sndtimeo = MAX_SCHEDULE_TIMEOUT; accepted sockets copy their listener's).
 */
#define _GNU_SOURCE
#include "nosleep.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>

/* Both spellings of SO_SNDTIMEO (asm-generic/socket.h). */
#define SNDTIMEO_OLD 21
#define SNDTIMEO_NEW 67

enum { KIND_NOT_SOCKET, KIND_TCP, KIND_UDP, KIND_OTHER };

static int sockopt_int(int fd, int name, int *v)
{
  socklen_t len = sizeof *v;
  return getsockopt(fd, SOL_SOCKET, name, v, &len);
}

/* The kind of fd, for an fd that fcntl accepted (see "Socket kinds" above). */
static int sock_kind(int fd)
{
  int dom, type, proto;
  if (sockopt_int(fd, SO_DOMAIN, &dom) < 0) return errno == ENOTSOCK || errno == EBADF ? KIND_NOT_SOCKET : KIND_OTHER;
  /* AF_INET6 sockets take the same paths: inet6_stream_ops has accept = inet_accept and
   * connect = inet_stream_connect (tcp_v6_connect, like tcp_v4_connect, never waits and
   * never returns EINPROGRESS or EALREADY), inet6_dgram_ops has inet_dgram_connect. */
  if ((dom != AF_INET && dom != AF_INET6) || sockopt_int(fd, SO_TYPE, &type) < 0 || sockopt_int(fd, SO_PROTOCOL, &proto) < 0) return KIND_OTHER;
  if (type == SOCK_STREAM && proto == IPPROTO_TCP) return KIND_TCP;
  if (type == SOCK_DGRAM && proto == IPPROTO_UDP) return KIND_UDP;
  return KIND_OTHER;
}

/* tcpi_state (the first byte of struct tcp_info), or -1. */
static int tcp_state(int fd)
{
  uint8_t st;
  socklen_t len = 1;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &st, &len) < 0 || len < 1) return -1;
  return st;
}

int nosleep_accept_may_sleep(int fd, int flags)
{
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))) return 0; /* EBADF, EINVAL first */
  switch (sock_kind(fd)) {
  case KIND_NOT_SOCKET:
  case KIND_UDP:
    return 0;
  case KIND_TCP:
    break;
  default:
    return 1;
  }
  if (fl & O_NONBLOCK) return 0;
  struct pollfd p = { .fd = fd, .events = POLLIN };
  if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) return 0; /* a listener with a queued connection, or no listener */
  int listening;
  if (sockopt_int(fd, SO_ACCEPTCONN, &listening) < 0) return 1;
  return listening != 0;
}

int nosleep_connect(int fd, const void *addr, socklen_t len, int split, long *ret, int *err)
{
  int fl = fcntl(fd, F_GETFL);
  int kind = fl < 0 ? KIND_NOT_SOCKET : sock_kind(fd);
  if (kind == KIND_OTHER || (kind == KIND_TCP && !(fl & O_NONBLOCK) && !split)) return NOSLEEP_DEFER;
  if (kind != KIND_TCP || (fl & O_NONBLOCK)) {
    *ret = connect(fd, addr, len);
    *err = *ret < 0 ? errno : 0;
    return NOSLEEP_DONE;
  }
  /* N: the same call with O_NONBLOCK, then the flags exactly as they were. */
  if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return NOSLEEP_DEFER;
  long r = connect(fd, addr, len);
  int e = r < 0 ? errno : 0;
  if (fcntl(fd, F_SETFL, fl) < 0) {
    *err = errno;
    return NOSLEEP_FAILED;
  }
  if (r == 0 || (e != EINPROGRESS && e != EALREADY)) {
    *ret = r;
    *err = e;
    return NOSLEEP_DONE;
  }
  int st = tcp_state(fd);
  if (st < 0 || st == TCP_SYN_SENT || st == TCP_SYN_RECV) return NOSLEEP_DEFER;
  /* B2: blocking, and it will not wait. */
  *ret = connect(fd, addr, len);
  *err = *ret < 0 ? errno : 0;
  return NOSLEEP_DONE;
}

int nosleep_breaks_split(int level, int name)
{
  if (level == SOL_SOCKET) return name == SNDTIMEO_OLD || name == SNDTIMEO_NEW;
  if (level == IPPROTO_TCP) return name == TCP_FASTOPEN_CONNECT;
  return 0;
}
