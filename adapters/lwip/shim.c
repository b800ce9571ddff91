/*
 * sockspec's shim over lwIP (Debian's liblwip, 2.1.3): the lwIP side of the world
 * program (world.c holds its main loop and protocol).
 *
 * One lwIP stack per process (lwIP keeps its state in globals): sl_start moves the
 * calling thread into a network namespace of its own, starts lwIP's tcpip thread from
 * there, and adds one TAP netif (created by lwIP's tapif driver, so inside that
 * namespace) with a static address. The host's network is never touched; the namespace
 * and the TAP device disappear with the process.
 *
 * sl_exec(op, a, out, res) takes the call's arguments in a[] (doubles), writes an output
 * address into out[] and the result into res[] (R_* slots). a[A_FD] is lwIP's own socket
 * number: the helper maps the sequence's fds onto lwIP's.
 *
 * errno: this build sets the C library's errno (arch/cc.h: LWIP_ERRNO_STDINCLUDE), so
 * lwIP's errno values are glibc's, i.e. Linux's; and lwIP's own errno.h (unused here)
 * copies Linux's numbers anyway. The value is read on the thread that made the call.
 *
 * After every call sl_exec lets the tcpip thread finish what the call queued (loopback
 * packets are delivered by callbacks on that thread), so that each answer is given by a
 * quiescent stack, as Linux's loopback delivers within the syscall.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"

#include "shim.h"
#include "../cbound.h"

/* How long a blocking accept waits before it counts as blocked (ms; lwIP's SO_RCVTIMEO
 * counts whole ms, 0 meaning for ever). The stack has settled before the call, so only a
 * TCP timer (>= 250 ms away) could fill the queue meanwhile. */
#define ACCEPT_WAIT_MS 1

static struct netif g_netif;
static int g_started;
static sys_sem_t g_sem;
static volatile int g_busy;

static void post_sem(void *arg) { sys_sem_signal((sys_sem_t *)arg); }

/* Runs on the tcpip thread: whether loopback packets are still queued on the netif. */
static void settle_probe(void *arg)
{
  (void)arg;
  g_busy = g_netif.loop_first != NULL;
  sys_sem_signal(&g_sem);
}

/* Round trips through the tcpip thread until it finds no loopback packet queued: every
 * message posted before the last trip (packets, API callbacks) has been processed and
 * none of them queued more. Returns the number of trips, or -1 if the stack is not up. */
int sl_settle(void)
{
  if (!g_started) return -1;
  for (int round = 1; round < 100000; round++) {
    if (tcpip_callback(settle_probe, NULL) != ERR_OK) return -1;
    sys_sem_wait(&g_sem);
    if (!g_busy) return round;
  }
  return -1;
}

const char *sl_version(void) { return LWIP_VERSION_STRING; }

static void write_file(const char *path, const char *s)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = write(fd, s, strlen(s));
  (void)n;
  close(fd);
}

/* Sets IFF_UP on the Linux side of the TAP device (in this thread's namespace). */
static int link_up(const char *ifname)
{
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  int e = 0;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) e = errno;
  else {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) e = errno;
  }
  close(s);
  return e;
}

/* Starts the stack on the calling thread, which must be the thread that later threads
 * of lwIP are created from: unshare(CLONE_NEWNET), then lwIP's tcpip thread, then the
 * TAP netif `ifname` with ip/mask (host order), not the default netif (the namespace has
 * no route, as the model's has none beyond lo), then the device's link up. Returns 0 or
 * an errno with the stage in *stage. lwIP's tapif exits the process when it cannot open
 * /dev/net/tun, so that is checked first. Once only per process. */
int sl_start(const char *ifname, uint32_t ip, uint32_t mask, int32_t *stage)
{
  *stage = ST_TWICE;
  if (g_started) return EBUSY;
  *stage = ST_TUN;
  int t = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (t < 0) return errno;
  close(t);
  *stage = ST_UNSHARE;
  if (unshare(CLONE_NEWNET) < 0) return errno;
  /* Keep the Linux side of the TAP device silent (no IPv6 autoconfiguration traffic). */
  write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
  /* tapif: PRECONFIGURED_TAPIF names the device and skips its ifconfig call. */
  if (setenv("PRECONFIGURED_TAPIF", ifname, 1) < 0) return errno;
  *stage = ST_SEM;
  if (sys_sem_new(&g_sem, 0) != ERR_OK) return ENOMEM;
  tcpip_init(post_sem, &g_sem);
  sys_sem_wait(&g_sem);
  ip4_addr_t a, m, gw;
  ip4_addr_set_u32(&a, lwip_htonl(ip));
  ip4_addr_set_u32(&m, lwip_htonl(mask));
  ip4_addr_set_zero(&gw);
  *stage = ST_NETIF;
  LOCK_TCPIP_CORE();
  struct netif *n = netif_add(&g_netif, &a, &m, &gw, NULL, tapif_init, tcpip_input);
  UNLOCK_TCPIP_CORE();
  if (n == NULL) return EIO;
  g_started = 1;
  /* The device exists now (tapif_init made it); up on the Linux side first, so that the
   * gratuitous ARP lwIP sends when the netif comes up finds a device that is up. */
  *stage = ST_LINK;
  int e = link_up(ifname);
  if (e != 0) return e;
  LOCK_TCPIP_CORE();
  netif_set_up(&g_netif);
  UNLOCK_TCPIP_CORE();
  *stage = ST_OK;
  sl_settle();
  return 0;
}

/* The local address of lwIP socket fd in res[R_BOUND*] when it has an AF_INET one. */
static void report_bound(int fd, int32_t *res)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  bound_from(lwip_getsockname(fd, (struct sockaddr *)&ss, &sl) == 0, &ss, res);
}

/* The AddrIn buffer: 128 zero bytes, family, big-endian port and address. */
static void *addr_in(const double *a, uint8_t *buf)
{
  memset(buf, 0, ADDR_BUF);
  if (a[A_1] != PTR_OK) return NULL;
  uint16_t fam = (uint16_t)(int64_t)a[A_3];
  uint16_t port = htons((uint16_t)(int64_t)a[A_5]);
  uint32_t ip = htonl((uint32_t)(int64_t)a[A_4]);
  memcpy(buf, &fam, 2);
  memcpy(buf + 2, &port, 2);
  memcpy(buf + 4, &ip, 4);
  return buf;
}

/* A blocking connect runs on a thread of its own, so that the caller can stop waiting
 * at the deadline. lwIP cannot interrupt a blocking connect: a thread that is still
 * waiting at the deadline stays in lwip_connect until lwIP ends the attempt, and frees
 * its job then. */
struct job {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done, abandoned;
  int fd, ret, err;
  socklen_t len;
  int null_addr;
  uint8_t addr[ADDR_BUF] __attribute__((aligned(8)));
};

static void *connect_thread(void *arg)
{
  struct job *j = arg;
  int r = lwip_connect(j->fd, j->null_addr ? NULL : (struct sockaddr *)j->addr, j->len);
  int e = errno;
  pthread_mutex_lock(&j->mu);
  j->ret = r;
  j->err = e;
  j->done = 1;
  int abandoned = j->abandoned;
  pthread_cond_signal(&j->cv);
  pthread_mutex_unlock(&j->mu);
  if (abandoned) {
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    free(j);
  }
  return NULL;
}

/* connect under the deadline (a[A_DEADLINE] ms). Returns the result, or sets
 * res[R_BLOCKED] when the call was still waiting at the deadline. */
static long connect_timed(int fd, const double *a, int32_t *res, int *err)
{
  struct job *j = calloc(1, sizeof *j);
  if (j == NULL) { *err = ENOMEM; res[R_BLOCKED] = -1; return -1; }
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&j->mu, NULL);
  pthread_cond_init(&j->cv, &ca);
  pthread_condattr_destroy(&ca);
  j->fd = fd;
  j->len = (socklen_t)(int32_t)(int64_t)a[A_2];
  j->null_addr = addr_in(a, j->addr) == NULL;
  pthread_attr_t ta;
  pthread_attr_init(&ta);
  pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
  pthread_t th;
  int e = pthread_create(&th, &ta, connect_thread, j);
  pthread_attr_destroy(&ta);
  if (e != 0) { free(j); *err = e; res[R_BLOCKED] = -1; return -1; }
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  long long ns = until.tv_nsec + (long long)(a[A_DEADLINE] * 1e6);
  until.tv_sec += ns / 1000000000LL;
  until.tv_nsec = ns % 1000000000LL;
  pthread_mutex_lock(&j->mu);
  while (!j->done && pthread_cond_timedwait(&j->cv, &j->mu, &until) != ETIMEDOUT) {}
  if (!j->done) {
    j->abandoned = 1;
    pthread_mutex_unlock(&j->mu);
    res[R_BLOCKED] = 1;
    return -1;
  }
  pthread_mutex_unlock(&j->mu);
  long r = j->ret;
  *err = j->err;
  pthread_cond_destroy(&j->cv);
  pthread_mutex_destroy(&j->mu);
  free(j);
  return r;
}

/* accept, getsockname, getpeername. A blocking accept waits ACCEPT_WAIT_MS through
 * lwIP's own SO_RCVTIMEO (set for the call, then restored), so that it takes nothing
 * off the queue once it has given up. */
static long addr_out(int op, int fd, const double *a, uint8_t *out, int32_t *res, int *err)
{
  socklen_t len = (socklen_t)(int32_t)(int64_t)a[A_3];
  memset(out, 0xa5, ADDR_BUF);
  struct sockaddr *p = a[A_1] == PTR_OK ? (struct sockaddr *)out : NULL;
  socklen_t *lp = a[A_2] == PTR_OK ? &len : NULL;
  long r;
  if (op == OP_GETSOCKNAME) r = lwip_getsockname(fd, p, lp);
  else if (op == OP_GETPEERNAME) r = lwip_getpeername(fd, p, lp);
  else {
    struct timeval old, tv = { 0, ACCEPT_WAIT_MS * 1000 };
    socklen_t ol = sizeof old;
    int fl = lwip_fcntl(fd, F_GETFL, 0);
    int timed = fl >= 0 && !(fl & O_NONBLOCK) && lwip_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &old, &ol) == 0
      && lwip_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0;
    errno = 0;
    r = lwip_accept(fd, p, lp);
    int e = errno;
    if (timed) lwip_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &old, sizeof old);
    if (r < 0 && timed && (e == EWOULDBLOCK || e == ETIMEDOUT)) res[R_BLOCKED] = 1;
    errno = e;
  }
  if (r < 0) *err = errno;
  res[R_ADDRLEN] = (int32_t)len;
  return r;
}

/* Executes one call on lwIP, then settles the stack; fills res (see R_*). Returns res[R_RET]. */
int sl_exec(int op, const double *a, uint8_t *out, int32_t *res)
{
  int fd = (int)(int64_t)a[A_FD];
  long r = -1;
  int err = 0;
  uint8_t buf[ADDR_BUF] __attribute__((aligned(8)));
  res[R_ADDRLEN] = 0;
  res[R_BLOCKED] = 0;
  res[R_BOUND] = 0;
  switch (op) {
  case OP_SOCKET:
    r = lwip_socket(fd, (int)(int64_t)a[A_1], (int)(int64_t)a[A_2]);
    if (r < 0) err = errno;
    break;
  case OP_BIND:
    r = lwip_bind(fd, addr_in(a, buf), (socklen_t)(int32_t)(int64_t)a[A_2]);
    if (r < 0) err = errno;
    break;
  case OP_LISTEN:
    r = lwip_listen(fd, (int)(int64_t)a[A_1]);
    if (r < 0) err = errno;
    break;
  case OP_ACCEPT:
  case OP_GETSOCKNAME:
  case OP_GETPEERNAME:
    r = addr_out(op, fd, a, out, res, &err);
    break;
  case OP_CONNECT:
    r = connect_timed(fd, a, res, &err);
    break;
  case OP_CLOSE:
    r = lwip_close(fd);
    if (r < 0) err = errno;
    break;
  case OP_FCNTL:
    r = lwip_fcntl(fd, (int)(int64_t)a[A_1], (int)(int64_t)a[A_2]);
    if (r < 0) err = errno;
    break;
  case OP_SETSOCKOPT: {
    int v = (int)(int64_t)a[A_3], v2 = (int)(int64_t)a[A_5];
    memset(buf, 0, sizeof buf);
    memcpy(buf, &v, sizeof v);
    memcpy(buf + sizeof v, &v2, sizeof v2); /* struct linger's l_linger, else 0 */
    r = lwip_setsockopt(fd, (int)(int64_t)a[A_1], (int)(int64_t)a[A_2], buf, (socklen_t)(int32_t)(int64_t)a[A_4]);
    if (r < 0) err = errno;
    break;
  }
  case OP_SHUTDOWN:
    r = lwip_shutdown(fd, (int)(int64_t)a[A_1]);
    if (r < 0) err = errno;
    break;
  default:
    err = ENOSYS;
  }
  res[R_ROUNDS] = sl_settle();
  if (op == OP_BIND || op == OP_LISTEN || op == OP_CONNECT) report_bound(fd, res);
  if (r < 0) r = -1;
  else err = 0;
  res[R_RET] = (int32_t)r;
  res[R_ERRNO] = err;
  return res[R_RET];
}
