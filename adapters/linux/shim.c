/*
 * sockspec's shim between Node (koffi) and the Linux socket syscalls.
 *
 * Everything crosses the boundary as plain numbers and caller-owned buffers:
 *   ss_exec(op, a, out, res): a[] holds the call's arguments as doubles (exact for every
 *   integer below 2^53), out[] receives the bytes of an output address, res[] receives
 *   the result (see the R_* indices). errno travels in res[R_ERRNO], never through
 *   thread-local state, so the call can run on any thread.
 *
 * File descriptors: the sequence's numbers ("virtual" v) live at g_base + v for
 * 0 <= v < 2^30; every fd the shim creates is moved up into [g_base, g_base + NOFILE).
 *
 * Blocking: when a[A_DEADLINE] > 0 the syscall runs under a per-thread POSIX timer that
 * sends SIG_BLOCKED to this thread at the deadline and then every REPEAT_NS, so that a
 * sleeping syscall returns EINTR (the handler is installed without SA_RESTART).
 * ss_try makes accept/accept4/connect on the calling thread without a timer when the
 * kernel will not sleep in them, and otherwise leaves them to a timed ss_exec
 * (nosleep.c says why that is exact).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nosleep.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* The size of the reserved fd region; a session's table (the sequence's RLIMIT_NOFILE,
 * g_nofile) is at most this large. */
#define NOFILE 1024
static int g_nofile = NOFILE;
/* Whether ss_open took CAP_NET_BIND_SERVICE out of this thread's effective set. */
static int g_dropped_cap;
/* Whether ss_try may split a blocking TCP connect (cleared for the rest of the session by
 * the first setsockopt that nosleep_breaks_split names). */
static int g_split_connect;
/* Virtual numbers at or above this are passed through unmapped (and stay invalid). */
#define VMAX (1 << 30)
/* Re-fire interval after the deadline, so a signal that lands just before the
 * syscall starts sleeping cannot leave it asleep. */
#define REPEAT_NS (5 * 1000 * 1000)

enum {
  OP_SOCKET, OP_BIND, OP_LISTEN, OP_ACCEPT, OP_ACCEPT4, OP_CONNECT,
  OP_GETSOCKNAME, OP_GETPEERNAME, OP_CLOSE, OP_FCNTL, OP_SETSOCKOPT, OP_SOCKETCALL, OP_NOOP, OP_SHUTDOWN,
  OP_GETSOCKOPT, OP_MMAP, OP_POLL, OP_SELECT, OP_SEND, OP_SENDTO, OP_RECV, OP_RECVFROM,
  OP_SENDMSG = 22, OP_RECVMSG = 23, OP_SOCKETPAIR = 24, OP_SENDFILE = 25
};

/* Argument slots. a[0] is always the fd (or socket's domain). a[A_SC] says how a socket
 * call is made: 0 directly; 1 through socketcall(2) with its whole argument array
 * readable; k >= 2 through socketcall with only k - 2 of its words readable.
 * OP_SOCKETCALL (no carried call): a[0] the call number, a[1] the args pointer kind,
 * a[2] the readable words (-1: all). */
enum { A_FD = 0, A_1, A_2, A_3, A_4, A_5, A_SC, A_DEADLINE, A_DLEN, A_MFLAGS, A_COUNT };
/* send, sendto, recv, recvfrom: a[A_DLEN] the length, a[A_MFLAGS] the MSG_* flags; the
 * payload going out and the bytes read coming back sit at out + DATA_OFF (DATA_MAX bytes,
 * filled with 0xa5 before a recv). sendto's address is an AddrIn, recvfrom's an AddrOut
 * (which lands at out, its length in res[R_ADDRLEN]). */
#define DATA_OFF 128
#define DATA_MAX 128
/* sendmsg, recvmsg: a[A_1] the msghdr pointer kind, a[A_2] msg_iovlen, a[A_3]
 * msg_controllen, a[A_4] msg_control's kind (a valid one points at zeroed memory), a[A_5]
 * msg_iov's kind, a[A_MFLAGS] the call's flags. g_vec: msg_name's kind, msg_namelen,
 * family, addr (host order), port, msg_flags, the number k of iovecs given, then k pairs
 * (kind, iov_len). A valid iovec's buffer is the next iov_len bytes at out + DATA_OFF
 * (sendmsg's payload, recvmsg's buffers, filled with 0xa5 first); entries past k up to
 * msg_iovlen (when it is at most UIO_MAXIOV) are {NULL, 0}. A sendmsg's msg_name kind
 * NAME_IN_OUT is a valid msg_name whose whole 128-byte buffer (a sockaddr_in6) is given in
 * out[0..128). recvmsg's msg_name is out[0..128)
 * (filled with 0xa5); after it g_vout holds msg_namelen, msg_flags and msg_controllen
 * (low, high 32 bits) as the msghdr has them. */
#define MSG_IOV_MAX 1024
#define NAME_IN_OUT 3
/* AddrIn (bind, connect): a[1] ptr kind, a[2] len, a[3] family, a[4] addr (host order), a[5] port;
 * a[4] = A4_IN_OUT: the whole 128-byte buffer (a sockaddr_in6) is given in out[0..128);
 * a[4] otherwise negative: a sockaddr_vm (see addr_in). */
#define A4_IN_OUT (-281474976710656.0) /* -2^48: below every sockaddr_vm code (>= -2^40) */
/* AddrOut (accept*, get*name): a[1] ptr kind, a[2] lenptr kind, a[3] len, a[4] accept4 flags. */
/* setsockopt: a[1] level, a[2] name, a[3] the int value, a[4] optlen, a[5] optval ptr kind.
 * getsockopt: a[1] level, a[2] name, a[3] optval ptr kind, a[4] optlen ptr kind, a[5] *optlen
 * before the call; the option bytes land in out[] (filled with 0xa5 first), *optlen after
 * the call in res[R_ADDRLEN]. */
enum { PTR_OK = 0, PTR_NULL = 1, PTR_BAD = 2 };

/* Result slots. */
enum { R_RET = 0, R_ERRNO, R_ADDRLEN, R_BLOCKED, R_BOUND, R_BOUND_ADDR, R_BOUND_PORT, R_BOUND6, R_COUNT = R_BOUND6 + 4 };
#define SOCKSPEC_BOUND6 1  /* AF_INET6 local addresses are reported too (R_BOUND6) */
#include "../cbound.h"  /* bound_from: after the R_* slots it fills */
/* res[R_BLOCKED]: the call returned; it was interrupted at its deadline; the timer could
 * not be armed; the file's flags could not be restored after ss_try's non-blocking attempt;
 * the shim refused to make it (a bind that would create a filesystem name). */
enum { B_RETURNED = 0, B_BLOCKED = 1, B_NO_TIMER = -1, B_FLAGS_LOST = -2, B_REFUSED = -3 };
/* socketpair: the two virtual fds stored in sv[] come back in these slots (it reports no bound address). */
enum { R_SV0 = R_BOUND_ADDR, R_SV1 = R_BOUND_PORT };

/* An address that faults on every access (below mmap_min_addr). */
#define BAD_PTR ((void *)1)

static int g_base = -1;
static int g_saved_ns = -1;
static int g_sig;

static void on_blocked_signal(int sig) { (void)sig; }

/* Installs the (empty) handler for SIG_BLOCKED once. Returns 0 or an errno; EBUSY if
 * someone else already handles that signal. */
int ss_init(void)
{
  static int done;
  if (done) return 0;
  g_sig = SIGRTMIN + 4;
  struct sigaction old, sa;
  memset(&sa, 0, sizeof sa);
  if (sigaction(g_sig, NULL, &old) < 0) return errno;
  if (old.sa_handler != SIG_DFL && old.sa_handler != on_blocked_signal) return EBUSY;
  sa.sa_handler = on_blocked_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: the syscall must return EINTR */
  if (sigaction(g_sig, &sa, NULL) < 0) return errno;
  done = 1;
  return 0;
}

/* Does nothing; called once asynchronously before the first namespace switch so that
 * the worker threads exist (and stay) in the original namespace. */
int ss_noop(void) { return 0; }

/* Whether this process may create a network namespace: a child tries it. Returns 0 or
 * the errno unshare gave. */
int ss_probe_netns(void)
{
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) _exit(unshare(CLONE_NEWNET) == 0 ? 0 : (errno & 0xff));
  int st = 0;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return errno;
  return WIFEXITED(st) ? WEXITSTATUS(st) : EIO;
}

static int region_free(int base)
{
  for (int fd = base; fd <= base + NOFILE; fd++)
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) return 0;
  return 1;
}

/* Picks g_base: the highest multiple of NOFILE whose region (plus one probe slot) is free
 * and below the soft RLIMIT_NOFILE, raising the soft limit to the hard one if needed. */
static int choose_base(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return errno;
  rlim_t need = 4 * NOFILE;
  if (rl.rlim_cur < need && rl.rlim_cur != rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) return errno;
  }
  if (rl.rlim_cur < need) return EMFILE;
  rlim_t top = rl.rlim_cur > (rlim_t)INT_MAX ? (rlim_t)INT_MAX : rl.rlim_cur;
  for (long base = ((long)top - NOFILE - 1) / NOFILE * NOFILE; base >= 2 * NOFILE; base -= NOFILE) {
    if (region_free((int)base)) {
      g_base = (int)base;
      return 0;
    }
  }
  return EMFILE;
}

/* Real fd for virtual v. Values outside [0, 2^30) pass through, clamped to int so that
 * they can never alias a low (host) fd. */
static int vmap(double v)
{
  if (v >= 0 && v < VMAX) return g_base + (int)v;
  if (v < INT_MIN) return -1;
  if (v > INT_MAX) return INT_MAX;
  return (int)v;
}

/* Moves a freshly created real fd r into the region, keeping its close-on-exec flag
 * (known from the creating call's flags, so no F_GETFD is needed). Returns the virtual
 * number, or -1 with *err (EMFILE when the region is full). */
static int place(int r, int cloexec, int *err)
{
  int n = fcntl(r, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, g_base);
  int e = errno;
  close(r);
  if (n < 0) {
    *err = e;
    return -1;
  }
  if (n >= g_base + g_nofile) {
    close(n);
    *err = EMFILE;
    return -1;
  }
  return n - g_base;
}

/* Whether no virtual fd is free (probed by duplicating the open fd `fd`). */
static int region_full(int fd)
{
  int n = fcntl(fd, F_DUPFD_CLOEXEC, g_base);
  if (n < 0) return errno == EMFILE;
  close(n);
  return n >= g_base + g_nofile;
}

static int bring_lo_up(void)
{
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  int e = 0;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) e = errno;
  else if (!(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) e = errno;
  }
  close(s);
  return e;
}

/* Opens `path` (or, when path is NULL, a pipe's read end with its write end closed)
 * and places it at virtual number `want`. */
static int initial_fd(const char *path, int want)
{
  int r;
  if (path) {
    r = open(path, O_RDWR);
    if (r < 0) return errno;
  } else {
    int p[2];
    if (pipe(p) < 0) return errno;
    close(p[1]);
    r = p[0];
  }
  int e = 0;
  int v = place(r, 0, &e);
  if (v < 0) return e;
  if (v != want) return EEXIST;
  return 0;
}

/* The world's regular file (spec/file.ts): FILE_SIZE bytes, the tokens "000 ", "004 ", ...,
 * "296 ". ss_open writes it into a fresh directory made by mkdtemp under `dir`, opens it
 * O_RDONLY at virtual FILE_FD, and removes the file and the directory at once, so that
 * nothing is left on disk however the process ends; the open fd keeps the inode until the
 * session's fds are closed. */
#define FILE_FD 4
#define FILE_SIZE 300

/* The largest offset lseek accepts on `fd` (the filesystem's s_maxbytes: vfs_setpos
 * refuses offset > maxsize), found by bisection; the position is left at 0. */
static long long max_offset(int fd)
{
  long long lo = 0, hi = LLONG_MAX;
  while (lo < hi) {
    long long mid = lo + (hi - lo) / 2 + 1;
    if (lseek(fd, (off_t)mid, SEEK_SET) >= 0) lo = mid;
    else hi = mid - 1;
  }
  lseek(fd, 0, SEEK_SET);
  return lo;
}

/* How the file's filesystem takes MAP_SYNC: facts[2] = 1 when MAP_SHARED_VALIDATE accepts it
 * (FOP_MMAP_SYNC: then PROT_WRITE on the O_RDONLY file is EACCES, not EOPNOTSUPP);
 * facts[3] = 1 when its ->mmap refuses VM_SYNC (EOPNOTSUPP for a private mapping). */
static void map_sync_facts(int fd, double *facts)
{
  void *m = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
  facts[2] = m == MAP_FAILED && errno == EACCES;
  if (m != MAP_FAILED) munmap(m, 4096);
  m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_SYNC, fd, 0);
  facts[3] = m == MAP_FAILED && errno == EOPNOTSUPP;
  if (m != MAP_FAILED) munmap(m, 4096);
}

/* facts[0]: s_maxbytes (or -1 above 2^53), facts[1]: 1 when the mount is noexec, facts[2..3]
 * see map_sync_facts. */
static int world_file(const char *dir, double *facts)
{
  char path[4096];
  char content[FILE_SIZE + 1];
  if (snprintf(path, sizeof path, "%s/sockspec-file-XXXXXX", dir) >= (int)sizeof path) return ENAMETOOLONG;
  if (mkdtemp(path) == NULL) return errno;
  size_t dlen = strlen(path);
  snprintf(path + dlen, sizeof path - dlen, "/file");
  for (int i = 0; i < FILE_SIZE; i += 4) snprintf(content + i, 5, "%03d ", i);
  int e = 0, r = -1;
  int w = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (w < 0) e = errno;
  else {
    if (write(w, content, FILE_SIZE) != FILE_SIZE) e = errno ? errno : EIO;
    if (close(w) < 0 && !e) e = errno;
    if (!e && (r = open(path, O_RDONLY)) < 0) e = errno;
  }
  unlink(path);
  path[dlen] = '\0';
  rmdir(path);
  if (e) return e;
  long long max = max_offset(r);
  struct statvfs sv;
  if (fstatvfs(r, &sv) < 0) {
    e = errno;
    close(r);
    return e;
  }
  facts[0] = max > (1LL << 53) ? -1 : (double)max;
  facts[1] = (sv.f_flag & ST_NOEXEC) ? 1 : 0;
  map_sync_facts(r, facts);
  int v = place(r, 0, &e);
  if (v < 0) return e;
  return v == FILE_FD ? 0 : EEXIST;
}

static void close_region(void)
{
  if (g_base < 0) return;
  for (int fd = g_base; fd <= g_base + NOFILE; fd++) close(fd);
}

/* Capabilities are per thread: clear or set CAP_NET_BIND_SERVICE in the calling
 * thread's effective set (it stays in the permitted set, so it can come back). */
static int set_bind_service(int on)
{
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) < 0) return errno;
  if (on) d[0].effective |= 1u << CAP_NET_BIND_SERVICE;
  else d[0].effective &= ~(1u << CAP_NET_BIND_SERVICE);
  if (syscall(SYS_capset, &h, d) < 0) return errno;
  return 0;
}

static int leave_netns(void)
{
  if (g_dropped_cap) {
    set_bind_service(1);
    g_dropped_cap = 0;
  }
  int e = 0;
  if (g_saved_ns >= 0) {
    if (setns(g_saved_ns, CLONE_NEWNET) < 0) e = errno;
    close(g_saved_ns);
    g_saved_ns = -1;
  }
  return e;
}

/* Opens a session on the calling thread: saves its netns, enters a new one, brings lo
 * up and builds the initial fd table, with the world's regular file at 4 when `file_dir`
 * is not NULL (its facts in file_facts, see world_file). res[0] = base, res[1] = failing
 * stage. Returns 0 or an errno; on failure everything is undone. */
int ss_open(int32_t *res, int32_t nofile, int32_t drop_bind_service, const char *file_dir, double *file_facts)
{
  int e;
  res[1] = 0;
  if (g_saved_ns >= 0) return EBUSY;
  if (nofile < (file_dir ? 5 : 4) || nofile > NOFILE) return EINVAL;
  g_nofile = nofile;
  res[1] = 1;
  if ((e = choose_base())) return e;
  res[1] = 2;
  g_saved_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (g_saved_ns < 0) return errno;
  res[1] = 3;
  if (unshare(CLONE_NEWNET) < 0) {
    e = errno;
    close(g_saved_ns);
    g_saved_ns = -1;
    return e;
  }
  res[1] = 4;
  g_split_connect = 1;
  if ((e = bring_lo_up())) goto fail;
  res[1] = 6;
  if (drop_bind_service) {
    if ((e = set_bind_service(0))) goto fail;
    g_dropped_cap = 1;
  }
  res[1] = 5;
  for (int i = 0; i < 3; i++)
    if ((e = initial_fd("/dev/null", i))) goto fail;
  if ((e = initial_fd(NULL, 3))) goto fail;
  res[1] = 7;
  if (file_dir && (e = world_file(file_dir, file_facts))) goto fail;
  res[0] = g_base;
  res[1] = 0;
  return 0;
fail:
  close_region();
  leave_netns();
  return e;
}

/* Closes every fd of the session and returns the calling thread to the saved netns.
 * Idempotent. Must run on the thread that called ss_open. */
int ss_close(void)
{
  close_region();
  return leave_netns();
}

static __thread timer_t t_timer;
static __thread int t_has_timer;

/* How long a lingering close may wait (see OP_CLOSE). */
#define LINGER_MS 200

/* Arms this thread's timer; returns 0 or an errno. */
static int arm(double ms, sigset_t *old)
{
  if (!t_has_timer) {
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = g_sig;
    sev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &sev, &t_timer) < 0) return errno;
    t_has_timer = 1;
  }
  long long ns = (long long)(ms * 1e6);
  if (ns < 1) ns = 1;
  struct itimerspec its;
  its.it_value.tv_sec = ns / 1000000000LL;
  its.it_value.tv_nsec = ns % 1000000000LL;
  its.it_interval.tv_sec = 0;
  its.it_interval.tv_nsec = REPEAT_NS;
  if (timer_settime(t_timer, 0, &its, NULL) < 0) return errno;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, g_sig);
  pthread_sigmask(SIG_UNBLOCK, &set, old);
  return 0;
}

static void disarm(const sigset_t *old)
{
  struct itimerspec zero;
  memset(&zero, 0, sizeof zero);
  timer_settime(t_timer, 0, &zero, NULL);
  pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* socketcall(2) through the 32-bit entry (int $0x80 reaches compat_sys_socketcall even
 * from a 64-bit process, where the kernel has IA32 emulation). compat_ptr() keeps only 32
 * bits of each pointer, so the argument array and every buffer it points to are copied
 * into g_lo32: memory below 4 GiB, one data page then a PROT_NONE guard page, so that an
 * argument array can end where reading stops. */
#define LO32_SIZE 4096
static unsigned char *g_lo32;
enum { LO_IN = 0, LO_OUT = 256, LO_LEN = 512, LO_VAL = 1024 };
/* A second arena below 4 GiB for the data calls: a compat struct msghdr, its msg_name, its
 * compat iovec array (up to MSG_IOV_MAX + 1 entries), the bytes, and a zeroed control
 * buffer. */
#define LOM_SIZE (16 * 4096)
static unsigned char *g_lom;
enum { LOM_HDR = 0, LOM_NAME = 64, LOM_IOV = 256, LOM_DATA = 8704, LOM_CTL = 8960 };

static int lo32_init(void)
{
  if (g_lo32) return 0;
#if defined(__x86_64__) && defined(MAP_32BIT)
  void *m = mmap(NULL, 2 * LO32_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (m == MAP_FAILED) return errno;
  if (mprotect((unsigned char *)m + LO32_SIZE, LO32_SIZE, PROT_NONE) < 0) {
    int e = errno;
    munmap(m, 2 * LO32_SIZE);
    return e;
  }
  void *mm = mmap(NULL, LOM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (mm == MAP_FAILED) {
    int e = errno;
    munmap(m, 2 * LO32_SIZE);
    return e;
  }
  g_lo32 = m;
  g_lom = mm;
  return 0;
#else
  return ENOSYS;
#endif
}

/* A pointer as the 32-bit word an argument array holds. */
static uint32_t w32(const void *p) { return (uint32_t)(uintptr_t)p; }

/* Makes socketcall(num, args) with the n words w[] of which only `readable` (all when
 * negative) can be read; kind PTR_NULL/PTR_BAD passes that pointer instead. */
static long socketcall32(int num, int kind, const uint32_t *w, int n, int readable)
{
#if defined(__x86_64__)
  int k = readable < 0 || readable > n ? n : readable;
  uint32_t *p = (uint32_t *)(g_lo32 + LO32_SIZE - 4 * (readable < 0 ? n : k));
  if (k > 0) memcpy(p, w, 4 * (size_t)k);
  unsigned long arg = kind == PTR_NULL ? 0 : kind == PTR_BAD ? 1 : (unsigned long)p;
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(102), "b"(num), "c"(arg) : "memory");
  if (r < 0 && r > -4096) {
    errno = (int)-r;
    return -1;
  }
  return r;
#else
  (void)num; (void)kind; (void)w; (void)n; (void)readable;
  errno = ENOSYS;
  return -1;
#endif
}

/* Whether this kernel answers socketcall through the 32-bit entry: a child tries
 * socketcall(0, ...) (EINVAL when it exists; without IA32 emulation int $0x80 kills the
 * process). Returns 0 when it works, else an errno-like reason (ENOSYS). */
int ss_probe_socketcall(void)
{
#if defined(__x86_64__)
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(102), "b"(0), "c"(0) : "memory");
    _exit(r == -EINVAL ? 0 : 1);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return errno;
  if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) return ENOSYS;
  return lo32_init();
#else
  return ENOSYS;
#endif
}

/* A caller's buffer of n bytes copied to g_lo32 + off (its address returned); NULL and the
 * faulting pointer pass through unchanged. */
static void *lo32_in(const void *p, int off, size_t n)
{
  if (p == NULL || p == BAD_PTR) return (void *)p;
  memcpy(g_lo32 + off, p, n);
  return g_lo32 + off;
}

/* Copies a buffer lo32_in placed back to the caller's (nothing when it passed through). */
static void lo32_out(void *p, const void *q, size_t n)
{
  if (q != p) memcpy(p, q, n);
}

/* The socket calls, made directly (sc == 0) or through socketcall (sc > 0, see A_SC). */
static int sc_readable(int sc) { return sc >= 2 ? sc - 2 : -1; }

static long x_socket(int d, int t, int p, int sc)
{
  if (!sc) return socket(d, t, p);
  uint32_t w[3] = { (uint32_t)d, (uint32_t)t, (uint32_t)p };
  return socketcall32(1, PTR_OK, w, 3, sc_readable(sc));
}

/* bind (num 2) and connect (num 3): the address buffer is copied below 4 GiB. */
static long x_addr_in(int num, int fd, const void *p, socklen_t len, int sc)
{
  if (!sc) return num == 2 ? bind(fd, p, len) : connect(fd, p, len);
  const void *q = lo32_in(p, LO_IN, sizeof(struct sockaddr_storage));
  uint32_t w[3] = { (uint32_t)fd, w32(q), (uint32_t)len };
  return socketcall32(num, PTR_OK, w, 3, sc_readable(sc));
}

static long x_listen(int fd, int backlog, int sc)
{
  if (!sc) return listen(fd, backlog);
  uint32_t w[2] = { (uint32_t)fd, (uint32_t)backlog };
  return socketcall32(4, PTR_OK, w, 2, sc_readable(sc));
}

/* accept (num 5), accept4 (18), getsockname (6), getpeername (7): through socketcall the
 * buffer and the length go below 4 GiB and come back afterwards. */
static long x_addr_out(int num, int fd, void *p, socklen_t *lp, int flags, int sc)
{
  if (!sc) {
    if (num == 6) return getsockname(fd, p, lp);
    if (num == 7) return getpeername(fd, p, lp);
    return accept4(fd, p, lp, num == 18 ? flags : 0);
  }
  void *q = lo32_in(p, LO_OUT, sizeof(struct sockaddr_storage));
  socklen_t *lq = lo32_in(lp, LO_LEN, sizeof *lp);
  uint32_t w[4] = { (uint32_t)fd, w32(q), w32(lq), (uint32_t)flags };
  long r = socketcall32(num, PTR_OK, w, num == 18 ? 4 : 3, sc_readable(sc));
  int e = errno;
  lo32_out(p, q, sizeof(struct sockaddr_storage));
  lo32_out(lp, lq, sizeof *lp);
  errno = e;
  return r;
}

/* setsockopt (num 14): the value (a caller's buffer of sockaddr_storage size, or NULL, or
 * the faulting pointer) goes below 4 GiB. */
static long x_setsockopt(int fd, int level, int name, const void *val, socklen_t len, int sc)
{
  if (!sc) return setsockopt(fd, level, name, val, len);
  const void *q = lo32_in(val, LO_VAL, sizeof(struct sockaddr_storage));
  uint32_t w[5] = { (uint32_t)fd, (uint32_t)level, (uint32_t)name, w32(q), (uint32_t)len };
  return socketcall32(14, PTR_OK, w, 5, sc_readable(sc));
}

/* getsockopt (num 15): the value buffer and the length go below 4 GiB and come back. */
static long x_getsockopt(int fd, int level, int name, void *val, socklen_t *lp, int sc)
{
  if (!sc) return getsockopt(fd, level, name, val, lp);
  void *q = lo32_in(val, LO_VAL, sizeof(struct sockaddr_storage));
  socklen_t *lq = lo32_in(lp, LO_LEN, sizeof *lp);
  uint32_t w[5] = { (uint32_t)fd, (uint32_t)level, (uint32_t)name, w32(q), w32(lq) };
  long r = socketcall32(15, PTR_OK, w, 5, sc_readable(sc));
  int e = errno;
  lo32_out(val, q, sizeof(struct sockaddr_storage));
  lo32_out(lp, lq, sizeof *lp);
  errno = e;
  return r;
}

static long x_shutdown(int fd, int how, int sc)
{
  if (!sc) return shutdown(fd, how);
  uint32_t w[2] = { (uint32_t)fd, (uint32_t)how };
  return socketcall32(13, PTR_OK, w, 2, sc_readable(sc));
}

static void *ptr_of(double kind, void *ok)
{
  if (kind == PTR_OK) return ok;
  if (kind == PTR_NULL) return NULL;
  return BAD_PTR;
}

/* Reports the local address of fd in res[R_BOUND*] when it is an AF_INET socket. */
static void report_bound(int fd, int32_t *res)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  bound_from(getsockname(fd, (struct sockaddr *)&ss, &sl) == 0, &ss, res);
}

/* Builds the AddrIn buffer: 128 zero bytes, family, big-endian port, address; when a[A_4]
 * is A4_IN_OUT, the buffer the caller left in out[0..128); when a[A_4] is otherwise negative
 * (-(1 + cid + flags * 2^32)), a struct sockaddr_vm: family, 2 reserved bytes, svm_port and
 * svm_cid (host order), svm_flags. */
static void addr_in(const double *a, const uint8_t *out, uint8_t *buf)
{
  if (a[A_4] == A4_IN_OUT) {
    memcpy(buf, out, sizeof(struct sockaddr_storage));
    return;
  }
  memset(buf, 0, sizeof(struct sockaddr_storage));
  if (a[A_4] < 0) {
    uint16_t vfam = (uint16_t)(int64_t)a[A_3];
    uint64_t x = (uint64_t)(-a[A_4] - 1);
    uint32_t cid = (uint32_t)x, vport = (uint32_t)(int64_t)a[A_5];
    memcpy(buf, &vfam, 2);
    memcpy(buf + 4, &vport, 4);
    memcpy(buf + 8, &cid, 4);
    buf[12] = (uint8_t)(x >> 32);
    return;
  }
  uint16_t fam = (uint16_t)(int64_t)a[A_3];
  uint16_t port = htons((uint16_t)(int64_t)a[A_5]);
  uint32_t ip = htonl((uint32_t)(int64_t)a[A_4]);
  memcpy(buf, &fam, 2);
  memcpy(buf + 2, &port, 2);
  memcpy(buf + 4, &ip, 4);
}

static long fcntl_exec(int fd, const double *a, int *err)
{
  int cmd = (int)(int64_t)a[A_1];
  double argd = a[A_2];
  long r;
  if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
    /* The minimum is a virtual number; f_dupfd: EINVAL when it reaches RLIMIT_NOFILE. */
    if (argd < 0 || argd >= g_nofile) {
      r = fcntl(fd, F_GETFD);
      *err = r < 0 ? errno : EINVAL;
      return -1;
    }
    r = fcntl(fd, cmd, g_base + (int)argd);
    if (r < 0) {
      *err = errno;
      return -1;
    }
    if (r >= g_base + g_nofile) {
      close((int)r);
      *err = EMFILE;
      return -1;
    }
    return r - g_base;
  }
  r = fcntl(fd, cmd, (long)(int64_t)argd);
  if (r < 0) *err = errno;
  return r;
}

/* accept/accept4 (with the EMFILE check __sys_accept4_file makes before it looks at the
 * socket), getsockname, getpeername: the AddrOut calls. With `try`, an accept that may
 * sleep is not made and *deferred is set. */
static long addr_out_exec(int op, int fd, const double *a, uint8_t *out, int32_t *res, int *err, int try, int *deferred)
{
  socklen_t len = (socklen_t)(int32_t)(int64_t)a[A_3];
  int flags = op == OP_ACCEPT4 ? (int)(int64_t)a[A_4] : 0;
  int sc = (int)a[A_SC];
  long r;
  memset(out, 0xa5, sizeof(struct sockaddr_storage));
  void *p = ptr_of(a[A_1], out);
  socklen_t *lp = ptr_of(a[A_2], &len);
  if (op == OP_GETSOCKNAME || op == OP_GETPEERNAME) {
    r = x_addr_out(op == OP_GETSOCKNAME ? 6 : 7, fd, p, lp, 0, sc);
    if (r < 0) *err = errno;
  } else if (sc && sc_readable(sc) >= 0 && sc_readable(sc) < (op == OP_ACCEPT4 ? 4 : 3)) {
    /* compat_sys_socketcall's copy_from_user faults before the call is looked at. */
    r = x_addr_out(op == OP_ACCEPT4 ? 18 : 5, fd, p, lp, flags, sc);
    if (r < 0) *err = errno;
  } else if (fcntl(fd, F_GETFD) >= 0 && !(flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) && region_full(fd)) {
    r = -1;
    *err = EMFILE;
  } else if (try && nosleep_accept_may_sleep(fd, flags)) {
    *deferred = 1;
    return -1;
  } else {
    sigset_t old;
    int timed = !try && a[A_DEADLINE] > 0;
    if (timed && (*err = arm(a[A_DEADLINE], &old))) {
      res[R_BLOCKED] = B_NO_TIMER;
      return -1;
    }
    r = x_addr_out(op == OP_ACCEPT4 ? 18 : 5, fd, p, lp, flags, sc);
    if (r < 0) *err = errno;
    if (timed) disarm(&old);
    if (r >= 0) r = place((int)r, flags & SOCK_CLOEXEC, err);
    else if (timed && *err == EINTR) res[R_BLOCKED] = B_BLOCKED;
  }
  res[R_ADDRLEN] = (int32_t)len;
  return r;
}

/* bind and connect (connect under the timer when a deadline is given; with `try`, only if
 * it will not sleep, else *deferred is set); both report the local address afterwards. */
/* Whether fd is an AF_UNIX socket. */
static int is_unix(int fd)
{
  int d = 0;
  socklen_t l = sizeof d;
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l) == 0 && d == AF_UNIX;
}

static long addr_in_exec(int op, int fd, const double *a, const uint8_t *out, int32_t *res, int *err, int try, int *deferred)
{
  uint8_t in[sizeof(struct sockaddr_storage)] __attribute__((aligned(8)));
  addr_in(a, out, in);
  void *p = ptr_of(a[A_1], in);
  socklen_t len = (socklen_t)(int32_t)(int64_t)a[A_2];
  int sc = (int)a[A_SC];
  long r;
  /* A bind of an AF_UNIX socket to a filesystem name (sun_path[0] != 0) would create a
   * file that outlives the session: never made. Abstract names live in the namespace. */
  if (op == OP_BIND && p == in && (int)len > 2 && (int)a[A_3] == AF_UNIX && in[2] != 0 && is_unix(fd)) {
    res[R_BLOCKED] = B_REFUSED;
    return -1;
  }
  if (op == OP_BIND) {
    r = x_addr_in(2, fd, p, len, sc);
    if (r < 0) *err = errno;
  } else if (try && sc) {
    /* Through socketcall the connect is made whole, under the timer. */
    *deferred = 1;
    return -1;
  } else if (try) {
    switch (nosleep_connect(fd, p, len, g_split_connect, &r, err)) {
    case NOSLEEP_DONE:
      break;
    case NOSLEEP_DEFER:
      *deferred = 1;
      return -1;
    default:
      res[R_BLOCKED] = B_FLAGS_LOST;
      return -1;
    }
  } else {
    sigset_t old;
    int timed = a[A_DEADLINE] > 0;
    if (timed && (*err = arm(a[A_DEADLINE], &old))) {
      res[R_BLOCKED] = B_NO_TIMER;
      return -1;
    }
    r = x_addr_in(3, fd, p, len, sc);
    if (r < 0) *err = errno;
    if (timed) disarm(&old);
    if (r < 0 && timed && *err == EINTR) res[R_BLOCKED] = B_BLOCKED;
  }
  report_bound(fd, res);
  return r;
}

static long setsockopt_exec(int fd, const double *a, int *err)
{
  uint8_t val[sizeof(struct sockaddr_storage)] __attribute__((aligned(8)));
  memset(val, 0, sizeof val);
  int v = (int)(int64_t)a[A_3], v2 = (int)(int64_t)a[A_DLEN];
  memcpy(val, &v, sizeof v);
  /* The int after it: struct linger's l_linger for SO_LINGER, else 0. */
  memcpy(val + sizeof v, &v2, sizeof v2);
  int level = (int)(int64_t)a[A_1], name = (int)(int64_t)a[A_2];
  if (nosleep_breaks_split(level, name)) g_split_connect = 0;
  long r = x_setsockopt(fd, level, name, ptr_of(a[A_5], val), (socklen_t)(int32_t)(int64_t)a[A_4], (int)a[A_SC]);
  if (r < 0) *err = errno;
  return r;
}

static long getsockopt_exec(int fd, const double *a, uint8_t *out, int32_t *res, int *err)
{
  socklen_t len = (socklen_t)(int32_t)(int64_t)a[A_5];
  memset(out, 0xa5, sizeof(struct sockaddr_storage));
  long r = x_getsockopt(fd, (int)(int64_t)a[A_1], (int)(int64_t)a[A_2], ptr_of(a[A_3], out), ptr_of(a[A_4], &len), (int)a[A_SC]);
  if (r < 0) *err = errno;
  res[R_ADDRLEN] = (int32_t)len;
  return r;
}

/* poll and select take arrays: ss_setvec() leaves them in g_vec before the call, and the
 * call leaves its array results in g_vout for ss_getvec().
 *   poll:   a[0] nfds, a[1] fds pointer kind, a[2] timeout (ms), a[3] entries k;
 *           g_vec = k pairs (fd, events); g_vout = k revents (0xa5a5 where not written).
 *   select: a[0] nfds; g_vec = tkind, sec, usec, then for read, write, except: kind,
 *           count, members; g_vout = for each set: count, members after the call. */
#define VEC_MAX (4 * NOFILE + 16)
static int32_t g_vec[VEC_MAX];
static int32_t g_vout[VEC_MAX];
static struct pollfd g_pfd[NOFILE];
static unsigned long *g_sets;
static size_t g_set_words;
#define REVENTS_UNTOUCHED 0xa5a5

void ss_setvec(const int32_t *v, int32_t n)
{
  if (n > VEC_MAX) n = VEC_MAX;
  if (n > 0) memcpy(g_vec, v, sizeof *v * (size_t)n);
}

void ss_getvec(int32_t *v, int32_t n)
{
  if (n > VEC_MAX) n = VEC_MAX;
  if (n > 0) memcpy(v, g_vout, sizeof *v * (size_t)n);
}

/* Runs a possibly sleeping syscall under the deadline timer when a[A_DEADLINE] > 0. */
#define TIMED(a, res, err, expr) ({                                   \
  sigset_t old_;                                                      \
  int timed_ = (a)[A_DEADLINE] > 0;                                   \
  long r_ = -1;                                                       \
  if (timed_ && (*(err) = arm((a)[A_DEADLINE], &old_))) {             \
    (res)[R_BLOCKED] = B_NO_TIMER;                                    \
  } else {                                                            \
    r_ = (expr);                                                      \
    if (r_ < 0) *(err) = errno;                                       \
    if (timed_) disarm(&old_);                                        \
    if (r_ < 0 && timed_ && *(err) == EINTR) (res)[R_BLOCKED] = B_BLOCKED; \
  }                                                                   \
  r_; })

/* poll(2), made with the raw syscall. The session's RLIMIT_NOFILE is g_nofile while the
 * process's is larger, so do_sys_poll's first check (nfds > RLIMIT_NOFILE: EINVAL) is
 * made here, before the kernel is asked. Entries past the call's own are {-1, 0}. With
 * `try`, a poll that may wait is made with timeout 0 and deferred if nothing is ready. */
static long poll_exec(const double *a, int32_t *res, int *err, int try, int *deferred)
{
  unsigned int nfds = (unsigned int)(int64_t)a[A_FD];
  int kind = (int)a[A_1], timeout = (int)(int64_t)a[A_2], k = (int)a[A_3];
  long r;
  if (k < 0 || k > NOFILE) k = 0;
  for (int i = 0; i < k; i++) g_vout[i] = REVENTS_UNTOUCHED;
  if (nfds > (unsigned int)g_nofile) {
    *err = EINVAL;
    return -1;
  }
  int n = (int)nfds > k ? (int)nfds : k;
  for (int i = 0; i < n; i++) {
    g_pfd[i].fd = i < k ? vmap(g_vec[2 * i]) : -1;
    g_pfd[i].events = i < k ? (short)g_vec[2 * i + 1] : 0;
    g_pfd[i].revents = (short)REVENTS_UNTOUCHED;
  }
  void *p = ptr_of(kind, g_pfd);
  if (try && timeout != 0) {
    r = syscall(SYS_poll, p, nfds, 0);
    if (r == 0) {
      *deferred = 1;
      return -1;
    }
    if (r < 0) *err = errno;
  } else {
    r = TIMED(a, res, err, syscall(SYS_poll, p, nfds, timeout));
  }
  if (kind == PTR_OK)
    for (int i = 0; i < k; i++) g_vout[i] = (uint16_t)g_pfd[i].revents;
  return r;
}

/* Reads one set of g_vec at *at into the real bits (virtual v at g_base + v). */
static int set_in(int *at, unsigned long *bits, int *kind)
{
  *kind = g_vec[(*at)++];
  int cnt = g_vec[(*at)++];
  memset(bits, 0, g_set_words * sizeof *bits);
  for (int i = 0; i < cnt; i++) {
    int v = g_vec[(*at)++];
    if (v < 0 || v >= NOFILE) continue;
    int fd = g_base + v;
    bits[fd / (8 * sizeof *bits)] |= 1UL << (fd % (8 * sizeof *bits));
  }
  return cnt;
}

/* select(2), made with the raw syscall (glibc's select reads the timeval itself). The
 * sets are the sequence's fds moved to the region: virtual nfds n becomes g_base + n
 * (members below n are exactly the real bits below it; g_base is a multiple of 64, so
 * the longs written back line up too), capped at n = NOFILE, which changes nothing for
 * members below NOFILE. With `try`, a select that may wait is made with a zero timeout
 * and deferred if nothing is ready. */
static long select_exec(const double *a, int32_t *res, int *err, int try, int *deferred)
{
  int n = (int)(int64_t)a[A_FD];
  size_t need = (size_t)(g_base + NOFILE) / (8 * sizeof(unsigned long)) + 2;
  if (g_set_words < need) {
    free(g_sets);
    g_set_words = need;
    g_sets = calloc(3 * g_set_words, sizeof(unsigned long));
    if (!g_sets) {
      g_set_words = 0;
      *err = ENOMEM;
      res[R_BLOCKED] = B_NO_TIMER;
      return -1;
    }
  }
  int at = 0;
  int tkind = g_vec[at++];
  struct timeval tv = { g_vec[at], g_vec[at + 1] };
  at += 2;
  int kinds[3];
  unsigned long *bits[3];
  for (int j = 0; j < 3; j++) {
    bits[j] = g_sets + (size_t)j * g_set_words;
    set_in(&at, bits[j], &kinds[j]);
  }
  long rn = n <= 0 ? n : g_base + (n > NOFILE ? NOFILE : n);
  void *sp[3];
  for (int j = 0; j < 3; j++) sp[j] = ptr_of(kinds[j], bits[j]);
  void *tp = ptr_of(tkind, &tv);
  long r;
  int waits = tkind == PTR_NULL || (tkind == PTR_OK && (tv.tv_sec != 0 || tv.tv_usec != 0));
  int valid = tkind != PTR_OK || (tv.tv_sec >= 0 && tv.tv_usec >= 0);
  if (try && waits && valid) {
    struct timeval zero = { 0, 0 };
    r = syscall(SYS_select, (int)rn, sp[0], sp[1], sp[2], &zero);
    if (r == 0) {
      *deferred = 1;
      return -1;
    }
    if (r < 0) *err = errno;
  } else {
    r = TIMED(a, res, err, syscall(SYS_select, (int)rn, sp[0], sp[1], sp[2], tp));
  }
  int o = 0;
  for (int j = 0; j < 3; j++) {
    int c = 0, start = o++;
    if (kinds[j] == PTR_OK)
      for (int v = 0; v < NOFILE; v++) {
        int fd = g_base + v;
        if (bits[j][fd / (8 * sizeof(unsigned long))] & (1UL << (fd % (8 * sizeof(unsigned long))))) {
          g_vout[o++] = v;
          c++;
        }
      }
    g_vout[start] = c;
  }
  return r;
}

/* send, sendto (num 9, 11), recv, recvfrom (10, 12) through socketcall: the bytes go to
 * g_lom, the addresses and the length below 4 GiB as for the other calls. */
static long x_sendto(int fd, const void *buf, size_t n, int flags, const void *p, socklen_t len, int to, int sc)
{
  if (!sc) return to ? sendto(fd, buf, n, flags, p, len) : send(fd, buf, n, flags);
  memcpy(g_lom + LOM_DATA, buf, n);
  const void *q = lo32_in(p, LO_IN, sizeof(struct sockaddr_storage));
  uint32_t w[6] = { (uint32_t)fd, w32(g_lom + LOM_DATA), (uint32_t)n, (uint32_t)flags, w32(q), (uint32_t)len };
  return socketcall32(to ? 11 : 9, PTR_OK, w, to ? 6 : 4, sc_readable(sc));
}

static long x_recvfrom(int fd, void *buf, size_t n, int flags, void *p, socklen_t *lp, int from, int sc)
{
  if (!sc) return from ? recvfrom(fd, buf, n, flags, p, lp) : recv(fd, buf, n, flags);
  memcpy(g_lom + LOM_DATA, buf, n);
  void *q = lo32_in(p, LO_OUT, sizeof(struct sockaddr_storage));
  socklen_t *lq = lo32_in(lp, LO_LEN, sizeof *lp);
  uint32_t w[6] = { (uint32_t)fd, w32(g_lom + LOM_DATA), (uint32_t)n, (uint32_t)flags, w32(q), w32(lq) };
  long r = socketcall32(from ? 12 : 10, PTR_OK, w, from ? 6 : 4, sc_readable(sc));
  int e = errno;
  memcpy(buf, g_lom + LOM_DATA, n);
  if (from) {
    lo32_out(p, q, sizeof(struct sockaddr_storage));
    lo32_out(lp, lq, sizeof *lp);
  }
  errno = e;
  return r;
}

/* Whether a MSG_WAITALL read of n bytes on fd may sleep: a blocking TCP socket with fewer
 * than n bytes queued and no error, hang-up or end of input (tcp_recvmsg_locked then
 * waits in sk_wait_data for the rest, having taken what there was). */
static int waitall_may_sleep(int fd, int flags, size_t n)
{
  int type = 0, q = 0, fl = fcntl(fd, F_GETFL);
  socklen_t tl = sizeof type;
  if (!(flags & MSG_WAITALL) || (flags & MSG_DONTWAIT) || n == 0 || fl < 0 || (fl & O_NONBLOCK)) return 0;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM) return 0;
  /* An AF_UNIX stream read with MSG_PEEK|MSG_WAITALL returns what it peeked without
   * sleeping for more (measured; model/unixwait.ts): made at once, so that a slow return on
   * a loaded machine is not taken for a read the deadline cut short. */
  if ((flags & MSG_PEEK) && is_unix(fd)) return 0;
  struct pollfd pf = { fd, POLLIN | POLLRDHUP, 0 };
  if (poll(&pf, 1, 0) < 0 || (pf.revents & (POLLERR | POLLHUP | POLLRDHUP))) return 0;
  if (ioctl(fd, FIONREAD, &q) < 0) return 0;
  return (size_t)q < n;
}

static double now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A MSG_WAITALL read that returned short after running past its deadline was cut by the
 * deadline signal (tcp_recvmsg_locked returns what it copied when a signal is pending): it
 * counts as blocked, as an interrupted read with nothing copied does. */
static void waitall_cut(const double *a, int32_t *res, int waitall, size_t n, long r, double t0)
{
  if (waitall && a[A_DEADLINE] > 0 && r >= 0 && (size_t)r < n && now_ms() - t0 >= a[A_DEADLINE]) res[R_BLOCKED] = B_BLOCKED;
}

/* send and sendto (UDP on loopback never waits for room: loopback_xmit orphans the skb),
 * reporting the local address afterwards (inet_send_prepare may have autobound). */
static long send_exec(int op, int fd, const double *a, uint8_t *out, int32_t *res, int *err, int try, int *deferred)
{
  uint8_t in[sizeof(struct sockaddr_storage)] __attribute__((aligned(8)));
  size_t n = (size_t)a[A_DLEN];
  int flags = (int)(int64_t)a[A_MFLAGS];
  long r;
  if (n > DATA_MAX) n = DATA_MAX;
  /* An AF_UNIX send may sleep for room in its send buffer or in the receiver's queue
   * (sock_alloc_send_pskb, unix_wait_for_peer), which poll does not tell exactly: unless
   * it cannot wait, it is made on a worker under the deadline. */
  if (try && !(flags & MSG_DONTWAIT)) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK) && is_unix(fd)) {
      *deferred = 1;
      return -1;
    }
  }
  addr_in(a, out, in);
  r = TIMED(a, res, err, x_sendto(fd, out + DATA_OFF, n, flags, ptr_of(a[A_1], in), (socklen_t)(int32_t)(int64_t)a[A_2], op == OP_SENDTO, (int)a[A_SC]));
  report_bound(fd, res);
  return r;
}

/* socketpair(2). __sys_socketpair reserves two fds before anything else but the flags, so
 * the session's table (smaller than the process's) is checked here first, in that order;
 * the two fds made are moved into the region (the lowest free first, as alloc_fd would)
 * and their virtual numbers reported in res[R_SV0], res[R_SV1]. */
static long socketpair_exec(const double *a, int32_t *res, int *err)
{
  int type = (int)(int64_t)a[A_1];
  int sv[2] = { -1, -1 };
  if (!(type & ~(0xf | SOCK_CLOEXEC | SOCK_NONBLOCK))) {
    int free_fds = 0;
    for (int v = 0; v < g_nofile && free_fds < 2; v++)
      if (fcntl(g_base + v, F_GETFD) < 0 && errno == EBADF) free_fds++;
    if (free_fds < 2) {
      *err = EMFILE;
      return -1;
    }
  }
  long r = socketpair((int)(int64_t)a[A_FD], type, (int)(int64_t)a[A_2], ptr_of(a[A_3], sv));
  if (r < 0) {
    *err = errno;
    return -1;
  }
  int cloexec = type & SOCK_CLOEXEC;
  int v0 = place(sv[0], cloexec, err);
  if (v0 < 0) {
    close(sv[1]);
    return -1;
  }
  int v1 = place(sv[1], cloexec, err);
  if (v1 < 0) {
    close(g_base + v0);
    return -1;
  }
  res[R_SV0] = v0;
  res[R_SV1] = v1;
  return 0;
}

/* recv and recvfrom. With `try`, a call that may sleep (nothing to read, no error, no
 * shutdown: poll says not readable, and neither MSG_DONTWAIT nor O_NONBLOCK; or a
 * MSG_WAITALL read that would wait for more, see waitall_may_sleep) is deferred to a timed
 * run; otherwise it is made at once. */
static long recv_exec(int op, int fd, const double *a, uint8_t *out, int32_t *res, int *err, int try, int *deferred)
{
  size_t n = (size_t)a[A_DLEN];
  int flags = (int)(int64_t)a[A_MFLAGS];
  socklen_t len = (socklen_t)(int32_t)(int64_t)a[A_3];
  int sc = (int)a[A_SC];
  long r;
  if (n > DATA_MAX) n = DATA_MAX;
  memset(out, 0xa5, DATA_OFF + DATA_MAX);
  if (sc && sc_readable(sc) >= 0 && sc_readable(sc) < (op == OP_RECV ? 4 : 6)) {
    /* compat_sys_socketcall's copy_from_user faults before the call is looked at. */
    r = x_recvfrom(fd, out + DATA_OFF, n, flags, ptr_of(a[A_1], out), ptr_of(a[A_2], &len), op == OP_RECVFROM, sc);
    if (r < 0) *err = errno;
    res[R_ADDRLEN] = (int32_t)len;
    return r;
  }
  if (try && !(flags & MSG_DONTWAIT)) {
    struct pollfd pf = { fd, POLLIN, 0 };
    int fl = fcntl(fd, F_GETFL);
    if ((poll(&pf, 1, 0) == 0 && fl >= 0 && !(fl & O_NONBLOCK)) || waitall_may_sleep(fd, flags, n)) {
      *deferred = 1;
      return -1;
    }
  }
  double t0 = now_ms();
  r = TIMED(a, res, err, x_recvfrom(fd, out + DATA_OFF, n, flags, ptr_of(a[A_1], out), ptr_of(a[A_2], &len), op == OP_RECVFROM, sc));
  waitall_cut(a, res, (flags & MSG_WAITALL) != 0, n, r, t0);
  res[R_ADDRLEN] = (int32_t)len;
  return r;
}

/* The msghdr calls' native structures, and a zeroed control buffer long enough for any
 * msg_controllen below optmem_max (131072; longer ones are refused before the copy). */
static struct iovec g_iov[MSG_IOV_MAX + 1];
static unsigned char g_ctl[131072];
struct compat_msghdr32 { uint32_t name; int32_t namelen; uint32_t iov; uint32_t iovlen; uint32_t control; uint32_t controllen; uint32_t flags; };

/* Builds the msghdr of a sendmsg/recvmsg (see the layout above): native into *m, or, with
 * `sc`, the compat one in g_lom (returned). `name` is the caller's msg_name buffer. */
static void *msg_build(const double *a, uint8_t *out, uint8_t *name, struct msghdr *m, int sc, int recv)
{
  int nk = g_vec[0], namelen = g_vec[1], k = g_vec[6];
  double iovlen = a[A_2];
  size_t off = 0;
  if (k < 0 || k > MSG_IOV_MAX) k = 0;
  int pad = iovlen <= MSG_IOV_MAX ? (int)iovlen : 0;
  int n = k > pad ? k : pad;
  if (!recv && nk == NAME_IN_OUT) {
    /* A sockaddr_in6 msg_name, its bytes in out[0..128) (the payload is at DATA_OFF). */
    memcpy(name, out, sizeof(struct sockaddr_storage));
    nk = PTR_OK;
  } else if (!recv) {
    uint16_t fam = (uint16_t)g_vec[2];
    uint16_t port = htons((uint16_t)g_vec[4]);
    uint32_t ip = htonl((uint32_t)g_vec[3]);
    memset(name, 0, sizeof(struct sockaddr_storage));
    memcpy(name, &fam, 2);
    memcpy(name + 2, &port, 2);
    memcpy(name + 4, &ip, 4);
  }
  memset(m, 0, sizeof *m);
  for (int i = 0; i < n; i++) {
    if (i < k && g_vec[7 + 2 * i] == PTR_OK) {
      size_t len = (size_t)(uint32_t)g_vec[8 + 2 * i];
      if (off + len > DATA_MAX) len = off > DATA_MAX ? 0 : DATA_MAX - off;
      g_iov[i].iov_base = out + DATA_OFF + off;
      g_iov[i].iov_len = len;
      off += len;
    } else {
      g_iov[i].iov_base = NULL;
      g_iov[i].iov_len = i < k ? (size_t)(int64_t)g_vec[8 + 2 * i] : 0;
    }
  }
  m->msg_name = ptr_of(nk, name);
  m->msg_namelen = (socklen_t)namelen;
  m->msg_iov = ptr_of(a[A_5], g_iov);
  m->msg_iovlen = (size_t)iovlen;
  m->msg_control = ptr_of(a[A_4], g_ctl);
  m->msg_controllen = (size_t)a[A_3];
  m->msg_flags = g_vec[5];
  if (!sc) return ptr_of(a[A_1], m);
  /* The compat layout: 32-bit pointers, the same values (iov_len keeps its low 32 bits). */
  struct compat_msghdr32 *c = (struct compat_msghdr32 *)(g_lom + LOM_HDR);
  uint32_t *civ = (uint32_t *)(g_lom + LOM_IOV);
  memcpy(g_lom + LOM_NAME, name, sizeof(struct sockaddr_storage));
  memcpy(g_lom + LOM_DATA, out + DATA_OFF, DATA_MAX);
  memset(g_lom + LOM_CTL, 0, 4096);
  for (int i = 0; i < n; i++) {
    civ[2 * i] = g_iov[i].iov_base ? w32(g_lom + LOM_DATA + ((uint8_t *)g_iov[i].iov_base - (out + DATA_OFF))) : 0;
    civ[2 * i + 1] = (uint32_t)g_iov[i].iov_len;
  }
  c->name = w32(ptr_of(nk, g_lom + LOM_NAME));
  c->namelen = namelen;
  c->iov = w32(ptr_of(a[A_5], civ));
  c->iovlen = (uint32_t)iovlen;
  c->control = w32(ptr_of(a[A_4], g_lom + LOM_CTL));
  c->controllen = (uint32_t)a[A_3];
  c->flags = (uint32_t)g_vec[5];
  return ptr_of(a[A_1], c);
}

/* What recvmsg left in the msghdr (and, through socketcall, in the buffers below 4 GiB). */
static void msg_after(const double *a, uint8_t *out, struct msghdr *m, int sc)
{
  uint64_t cl;
  if (a[A_1] != PTR_OK) return;
  if (sc) {
    struct compat_msghdr32 *c = (struct compat_msghdr32 *)(g_lom + LOM_HDR);
    memcpy(out, g_lom + LOM_NAME, sizeof(struct sockaddr_storage));
    memcpy(out + DATA_OFF, g_lom + LOM_DATA, DATA_MAX);
    g_vout[0] = c->namelen;
    g_vout[1] = (int32_t)c->flags;
    cl = c->controllen;
  } else {
    g_vout[0] = (int32_t)m->msg_namelen;
    g_vout[1] = m->msg_flags;
    cl = m->msg_controllen;
  }
  g_vout[2] = (int32_t)(uint32_t)cl;
  g_vout[3] = (int32_t)(uint32_t)(cl >> 32);
}

static long x_msg(int num, int fd, void *mp, int flags, int sc)
{
  if (!sc) return num == 16 ? sendmsg(fd, mp, flags) : recvmsg(fd, mp, flags);
  uint32_t w[3] = { (uint32_t)fd, w32(mp), (uint32_t)flags };
  return socketcall32(num, PTR_OK, w, 3, sc_readable(sc));
}

/* sendmsg. As for send: an AF_UNIX sendmsg may sleep for room (sock_alloc_send_pskb,
 * unix_wait_for_peer); unless it cannot wait, it is made on a worker under the deadline. */
static long sendmsg_exec(int fd, const double *a, uint8_t *out, int32_t *res, int *err, int try, int *deferred)
{
  uint8_t name[sizeof(struct sockaddr_storage)] __attribute__((aligned(8)));
  struct msghdr m;
  int sc = (int)a[A_SC];
  int flags = (int)(int64_t)a[A_MFLAGS];
  if (try && !(flags & MSG_DONTWAIT)) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK) && is_unix(fd)) {
      *deferred = 1;
      return -1;
    }
  }
  void *mp = msg_build(a, out, name, &m, sc, 0);
  long r = TIMED(a, res, err, x_msg(16, fd, mp, flags, sc));
  report_bound(fd, res);
  return r;
}

static long recvmsg_exec(int fd, const double *a, uint8_t *out, int32_t *res, int *err, int try, int *deferred)
{
  struct msghdr m;
  int sc = (int)a[A_SC];
  int flags = (int)(int64_t)a[A_MFLAGS];
  size_t n = (size_t)a[A_DLEN];
  memset(out, 0xa5, DATA_OFF + DATA_MAX);
  for (int i = 0; i < 4; i++) g_vout[i] = 0;
  void *mp = msg_build(a, out, out, &m, sc, 1);
  if (try && !(flags & MSG_DONTWAIT) && !(sc && sc_readable(sc) >= 0 && sc_readable(sc) < 3)) {
    struct pollfd pf = { fd, POLLIN, 0 };
    int fl = fcntl(fd, F_GETFL);
    if ((poll(&pf, 1, 0) == 0 && fl >= 0 && !(fl & O_NONBLOCK)) || waitall_may_sleep(fd, flags, n)) {
      *deferred = 1;
      return -1;
    }
  }
  double t0 = now_ms();
  long r = TIMED(a, res, err, x_msg(17, fd, mp, flags, sc));
  waitall_cut(a, res, (flags & MSG_WAITALL) != 0, n, r, t0);
  msg_after(a, out, &m, sc);
  return r;
}

/* sendfile(2) through syscall 40 (sys_sendfile64 on x86_64): a[A_1] in_fd (virtual),
 * a[A_2] the offset pointer's kind, a[A_3] the value it holds, a[A_4] count (a size_t; a
 * negative number is its two's complement). *offset after the call lands in out[0..8]
 * (int64). With `try`, a sendfile to a blocking TCP socket (which may sleep in
 * sk_stream_wait_connect or sk_stream_wait_memory) or AF_UNIX socket (sock_alloc_send_pskb,
 * unix_wait_for_peer) is deferred to a timed run; every other one never sleeps and is made
 * at once. Reports out_fd's local address afterwards
 * (udp_sendmsg may have autobound it). */
static long sendfile_exec(int fd, const double *a, uint8_t *out, int32_t *res, int *err, int try, int *deferred)
{
  int in = vmap(a[A_1]);
  int64_t value = (int64_t)a[A_3];
  size_t count = (size_t)(int64_t)a[A_4];
  if (try) {
    int type = 0, proto = 0;
    socklen_t tl = sizeof type, pl = sizeof proto;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK) && (is_unix(fd) || (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM
        && getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &pl) == 0 && proto == IPPROTO_TCP))) {
      *deferred = 1;
      return -1;
    }
  }
  memcpy(out, &value, sizeof value);
  long r = TIMED(a, res, err, syscall(SYS_sendfile, fd, in, ptr_of(a[A_2], out), count));
  report_bound(fd, res);
  return r;
}

/* Executes one call; with `try`, returns 1 without filling res when the call may sleep. */
static int run(int op, const double *a, uint8_t *out, int32_t *res, int try)
{
  int fd = vmap(a[A_FD]);
  long r = -1;
  int err = 0, deferred = 0;
  res[R_ADDRLEN] = 0;
  res[R_BLOCKED] = B_RETURNED;
  res[R_BOUND] = 0;
  switch (op) {
  case OP_ACCEPT:
  case OP_ACCEPT4:
  case OP_GETSOCKNAME:
  case OP_GETPEERNAME:
    r = addr_out_exec(op, fd, a, out, res, &err, try, &deferred);
    break;
  case OP_BIND:
  case OP_CONNECT:
    r = addr_in_exec(op, fd, a, out, res, &err, try, &deferred);
    break;
  case OP_SOCKET:
    r = x_socket((int)(int64_t)a[A_FD], (int)(int64_t)a[A_1], (int)(int64_t)a[A_2], (int)a[A_SC]);
    if (r < 0) err = errno;
    else r = place((int)r, (int)(int64_t)a[A_1] & SOCK_CLOEXEC, &err);
    break;
  case OP_LISTEN:
    r = x_listen(fd, (int)(int64_t)a[A_1], (int)a[A_SC]);
    if (r < 0) err = errno;
    report_bound(fd, res);
    break;
  case OP_CLOSE: {
    /* SO_LINGER with a time: inet_release hands sk_lingertime to tcp_close, which waits in
     * sk_stream_wait_close while the FIN is unacknowledged (on loopback a few ms, up to the
     * peer's delayed ACK). A timer bounds that wait (a signal ends it); close returns 0 and
     * the socket goes on closing either way, so nothing observable depends on it. The probe
     * only reads (SO_LINGER's getsockopt changes nothing). */
    struct linger lg;
    socklen_t ll = sizeof lg;
    sigset_t old;
    int timed = getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &ll) == 0 && lg.l_onoff && lg.l_linger != 0 && arm(LINGER_MS, &old) == 0;
    r = close(fd);
    if (r < 0) err = errno;
    if (timed) disarm(&old);
    break;
  }
  case OP_FCNTL:
    r = fcntl_exec(fd, a, &err);
    break;
  case OP_SETSOCKOPT:
    r = setsockopt_exec(fd, a, &err);
    break;
  case OP_SOCKETCALL: {
    /* A socketcall carrying no call: an invalid number, or an unreadable argument array. */
    uint32_t w[6] = { 0, 0, 0, 0, 0, 0 };
    r = socketcall32((int)(int64_t)a[A_FD], (int)a[A_1], w, 6, (int)a[A_2]);
    if (r < 0) err = errno;
    break;
  }
  case OP_GETSOCKOPT:
    r = getsockopt_exec(fd, a, out, res, &err);
    break;
  case OP_MMAP: {
    /* The mapping, if made, is removed at once: only the answer matters (0 for a mapping). */
    size_t len = (size_t)(int64_t)a[A_1];
    void *m = mmap(NULL, len, (int)(int64_t)a[A_2], (int)(int64_t)a[A_3], fd, (off_t)(int64_t)a[A_4]);
    if (m == MAP_FAILED) err = errno;
    else {
      munmap(m, len);
      r = 0;
    }
    break;
  }
  case OP_NOOP:
    r = 0;
    break;
  case OP_SHUTDOWN:
    r = x_shutdown(fd, (int)(int64_t)a[A_1], (int)a[A_SC]);
    if (r < 0) err = errno;
    break;
  case OP_POLL:
    r = poll_exec(a, res, &err, try, &deferred);
    break;
  case OP_SELECT:
    r = select_exec(a, res, &err, try, &deferred);
    break;
  case OP_SEND:
  case OP_SENDTO:
    r = send_exec(op, fd, a, out, res, &err, try, &deferred);
    break;
  case OP_RECV:
  case OP_RECVFROM:
    r = recv_exec(op, fd, a, out, res, &err, try, &deferred);
    break;
  case OP_SENDMSG:
    r = sendmsg_exec(fd, a, out, res, &err, try, &deferred);
    break;
  case OP_RECVMSG:
    r = recvmsg_exec(fd, a, out, res, &err, try, &deferred);
    break;
  case OP_SOCKETPAIR:
    r = socketpair_exec(a, res, &err);
    break;
  case OP_SENDFILE:
    r = sendfile_exec(fd, a, out, res, &err, try, &deferred);
    break;
  default:
    err = ENOSYS;
  }
  if (deferred) return 1;
  if (r < 0) r = -1;
  else err = 0;
  res[R_RET] = (int32_t)r;
  res[R_ERRNO] = err;
  return 0;
}

/* Executes one call (see the A_* and R_* layouts); res[R_BLOCKED] says whether it returned
 * (B_*; on a failure of the shim itself res[R_ERRNO] says why). Returns res[R_RET]. */
int ss_exec(int op, const double *a, uint8_t *out, int32_t *res)
{
  run(op, a, out, res, 0);
  return res[R_RET];
}

/* Executes one call on the calling thread, without a timer, unless it is an accept,
 * accept4 or connect the kernel may sleep in: then returns 1, having changed nothing that
 * the blocking call would not change before it sleeps (nosleep.c), and the caller
 * completes it with a timed ss_exec of the same arguments. Otherwise fills res as ss_exec
 * does and returns 0. a[A_DEADLINE] is ignored. */
int ss_try(int op, const double *a, uint8_t *out, int32_t *res)
{
  return run(op, a, out, res, 1);
}
