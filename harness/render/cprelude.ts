/**
 * The fixed part of the C reproducer: includes, the errno and flag name tables (made
 * from spec/ and names.ts, so the program prints the names the report prints), the
 * printers that mirror renderObserved, the deadline timer, and the set-up that gives the
 * process a private network namespace and the sequence's initial fd table. Pure text.
 */
import type { Profile } from '../../spec/profile.js';
import { ERRNO } from '../../spec/errno.js';
import { FILL_BYTE, FILL_RUN_MIN } from './buffer.js';
import { ACCESS_MODES, FD_FLAGS, O_FLAGS, POLL_FLAGS, type NameTable } from './names.js';
import { REVENTS_UNTOUCHED } from '../../spec/observed.js';
import { BLOCKED_TEXT } from './result.js';
import { MSG_FLAGS } from './call.js';
import { FILE_FD, FILE_SIZE } from '../../spec/file.js';

/** How long a possibly blocking call may take before it counts as blocked (µs). */
export const DEADLINE_US = 200_000;

/** `s` as a C string literal. */
export function cString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `\\${b.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

function table(name: string, t: NameTable): string {
  const rows = t.map(([n, v]) => `  {${cString(n)}, 0${(v >>> 0).toString(8)}u},`).join('\n');
  return `static const struct name ${name}[] MAYBE_UNUSED = {\n${rows}\n  {NULL, 0},\n};`;
}

function errnoCases(): string {
  return Object.keys(ERRNO)
    .map((n) => `#ifdef ${n}\n  case ${n}: return "${n}";\n#endif`)
    .join('\n');
}

/** Everything before main(); the program writes its lines to descriptor `outFd`. */
export function cHelpers(outFd: number): string {
  const accModes = ACCESS_MODES.map(([n, v]) => `    case ${v}: fputs(${cString(n)}, out); break;`).join('\n');
  return `#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

#define OUT_FD ${outFd}
#define BAD ((void *)1) /* a user pointer that faults: EFAULT */
#define DEADLINE_US ${DEADLINE_US}
#define MAYBE_UNUSED __attribute__((unused)) /* helpers a given trace may not need */

static FILE *out;

struct name { const char *name; unsigned v; };
${table('o_flags', O_FLAGS)}
${table('fd_flags', FD_FLAGS)}
${table('poll_flags', POLL_FLAGS)}
${table('msg_flag_names', MSG_FLAGS.map(([v, n]) => [n, v] as const))}

/* errno names as sockspec prints them (spec/errno.ts); others print as E<n>. */
static const char *errno_name(int e) {
  switch (e) {
${errnoCases()}
  }
  return NULL;
}

/* NAME|NAME|0x.. as names.ts flagsOf prints it; "0" when nothing is set. */
static MAYBE_UNUSED void put_flags(const struct name *t, unsigned v) {
  int any = 0;
  for (; t->name != NULL; t++) {
    if (t->v != 0 && (v & t->v) == t->v) {
      fprintf(out, "%s%s", any ? "|" : "", t->name);
      v &= ~t->v;
      any = 1;
    }
  }
  if (v != 0) fprintf(out, "%s0x%x", any ? "|" : "", v);
  else if (!any) fputs("0", out);
}

/* One revents as names.ts pollBitsName prints it ("untouched": the kernel did not write it). */
static MAYBE_UNUSED void put_revents(unsigned short v) {
  if (v == ${REVENTS_UNTOUCHED}) fputs("untouched", out);
  else put_flags(poll_flags, v);
}

/* " name={a, b}": the members of a 1024-bit fd set after select. */
static MAYBE_UNUSED void put_set(const char *name, const unsigned long *bits) {
  int fd, any = 0;
  fprintf(out, " %s={", name);
  for (fd = 0; fd < 1024; fd++)
    if (bits[fd / (8 * sizeof *bits)] & (1UL << (fd % (8 * sizeof *bits)))) { fprintf(out, any ? ", %d" : "%d", fd); any = 1; }
  fputs("}", out);
}

/* F_GETFL's result: access mode, then status bits (names.ts getflResultName). */
static MAYBE_UNUSED void put_getfl(unsigned v) {
  switch (v & 3) {
${accModes}
    default: fputs("0x3", out); break;
  }
  v &= ~3u;
  if (v != 0) { fputs("|", out); put_flags(o_flags, v); }
}

/* Bytes read, as result.ts prints them: hex, or (none). */
static MAYBE_UNUSED void put_hex(const unsigned char *b, int n) {
  int i;
  if (n <= 0) { fputs("(none)", out); return; }
  for (i = 0; i < n; i++) fprintf(out, "%02x", b[i]);
}

/* An address buffer as buffer.ts renderBuffer prints it. */
static MAYBE_UNUSED void put_buf(const unsigned char *b, int n) {
  int i = 0, first = 1, run = 0, end, k, zero = 1;
  if (n == 0) { fputs("(empty)", out); return; }
  for (k = 8; k < 16 && k < n; k++) if (b[k] != 0) zero = 0;
  if (n >= 16 && b[0] == 2 && b[1] == 0 && zero) {
    fprintf(out, "%u.%u.%u.%u:%u", b[4], b[5], b[6], b[7], (unsigned)(b[2] << 8 | b[3]));
    i = 16;
    first = 0;
  }
  while (run < n - i && b[n - 1 - run] == ${FILL_BYTE}) run++;
  end = run >= ${FILL_RUN_MIN} ? n - run : n;
  if (end > i) {
    if (!first) fputs("+", out);
    for (; i < end; i++) fprintf(out, "%02x", b[i]);
    first = 0;
  }
  if (run >= ${FILL_RUN_MIN}) fprintf(out, "%sa5*%d", first ? "" : "+", run);
}

static void begin(int n, const char *call) { fprintf(out, "%d: %s ", n, call); }
static void end(void) { fputs("\\n", out); fflush(out); }

/* "= r", "= -1 ENAME" or, for a call cut short by the deadline, the blocked text. Returns 1 if blocked. */
static int result(long r, int e, int may_block) {
  const char *name;
  if (may_block && r == -1 && e == EINTR) { fputs(${cString(BLOCKED_TEXT)}, out); return 1; }
  fprintf(out, "= %ld", r);
  if (r != -1) return 0;
  name = errno_name(e);
  if (name != NULL) fprintf(out, " %s", name);
  else fprintf(out, " E%d", e);
  return 0;
}

/* " bound=ip:port": the socket's local address, as the adapters report it after bind, listen, connect. */
static MAYBE_UNUSED void put_bound(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  unsigned char *b = (unsigned char *)&ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return;
  if (ss.ss_family == AF_INET6) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, b + 8, text, sizeof text);
    fprintf(out, " bound=[%s]:%u", text, (unsigned)(b[2] << 8 | b[3]));
    return;
  }
  if (ss.ss_family != AF_INET) return;
  fprintf(out, " bound=%u.%u.%u.%u:%u", b[4], b[5], b[6], b[7], (unsigned)(b[2] << 8 | b[3]));
}

/* A sockaddr_in-shaped buffer inside a zeroed sockaddr_storage. */
static MAYBE_UNUSED void fill_in(struct sockaddr_storage *ss, unsigned short family, unsigned port, const unsigned char ip[4]) {
  unsigned char *b = (unsigned char *)ss;
  memset(ss, 0, sizeof *ss);
  memcpy(b, &family, 2);
  b[2] = (unsigned char)(port >> 8);
  b[3] = (unsigned char)port;
  memcpy(b + 4, ip, 4);
}

/* A struct sockaddr_vm inside a zeroed sockaddr_storage: family, 2 reserved bytes,
 * svm_port, svm_cid (host order), svm_flags. */
static MAYBE_UNUSED void fill_vm(struct sockaddr_storage *ss, unsigned short family, unsigned port, unsigned cid, unsigned char flags) {
  unsigned char *b = (unsigned char *)ss;
  memset(ss, 0, sizeof *ss);
  memcpy(b, &family, 2);
  memcpy(b + 4, &port, 4);
  memcpy(b + 8, &cid, 4);
  b[12] = flags;
}

/* Memory below 4 GiB for socketcall through the 32-bit entry (compat_ptr keeps only 32
 * bits of each pointer): a data page, then a PROT_NONE guard page, so that an argument
 * array can end where reading stops. */
static MAYBE_UNUSED unsigned char *lo32(void) {
  static unsigned char *arena;
  if (arena == NULL) {
#ifdef MAP_32BIT
    arena = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
#else
    arena = MAP_FAILED;
#endif
    if (arena == MAP_FAILED) { fprintf(out, "# repro: no memory below 4 GiB for socketcall\\n"); exit(2); }
    if (mprotect(arena + 4096, 4096, PROT_NONE) != 0) { fprintf(out, "# repro: mprotect: %s\\n", strerror(errno)); exit(2); }
  }
  return arena;
}
/* A pointer into lo32() as the 32-bit word socketcall's argument array holds. */
#define W(p) ((unsigned)(unsigned long)(p))

/* socketcall(num, args) through int $0x80 (compat_sys_socketcall): kind 0 passes the n
 * words w[] placed so that only the first "readable" (all when -1) can be read before the
 * guard page; kind 1 passes NULL, kind 2 a faulting pointer. */
static MAYBE_UNUSED long socketcall32(int num, int kind, const unsigned *w, int n, int readable) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned char *a = lo32();
  int k = readable < 0 || readable > n ? n : readable;
  unsigned *p = (unsigned *)(a + 4096 - 4 * (readable < 0 ? n : k));
  unsigned long arg = kind == 1 ? 0 : kind == 2 ? 1 : (unsigned long)p;
  long r;
  memcpy(p, w, 4 * (size_t)k);
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(102), "b"(num), "c"(arg) : "memory");
  if (r < 0 && r > -4096) { errno = (int)-r; return -1; }
  return r;
#else
  (void)num; (void)kind; (void)w; (void)n; (void)readable;
  errno = ENOSYS;
  return -1;
#endif
}

/* A zeroed control buffer for sendmsg/recvmsg (msg_controllen below optmem_max). */
static MAYBE_UNUSED unsigned char zero_ctl[131072];

/* sendmsg (16) or recvmsg (17) through socketcall: the native msghdr m (or NULL/BAD) is
 * copied into the compat layout below 4 GiB (32-bit pointers; msg_iovlen and
 * msg_controllen keep 32 bits), its name, iovec bytes and fields copied back afterwards. */
struct msghdr32 { unsigned name; int namelen; unsigned iov, iovlen, control, controllen, flags; };
static MAYBE_UNUSED unsigned lo_ptr(const void *p, unsigned char *low) {
  return p == NULL ? 0 : p == BAD ? 1 : W(low);
}
static MAYBE_UNUSED long msg_call32(int num, int kind, int fd, struct msghdr *m, int flags, int readable) {
  static unsigned char *lm;
  struct msghdr32 *c;
  unsigned *civ, w[3];
  unsigned char *data;
  size_t i, n, off = 0;
  long r;
  int e;
  if (lm == NULL) {
#ifdef MAP_32BIT
    lm = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
#else
    lm = MAP_FAILED;
#endif
    if (lm == MAP_FAILED) { fprintf(out, "# repro: no memory below 4 GiB for socketcall\\n"); exit(2); }
  }
  c = (struct msghdr32 *)lm;
  civ = (unsigned *)(lm + 256);
  data = lm + 16384;
  memset(lm + 32768, 0, 4096);
  if (m != NULL && (void *)m != BAD) {
    n = m->msg_iov != NULL && (void *)m->msg_iov != BAD && m->msg_iovlen <= 1024 ? m->msg_iovlen : 0;
    for (i = 0; i < n; i++) {
      civ[2 * i] = m->msg_iov[i].iov_base == NULL ? 0 : W(data + off);
      civ[2 * i + 1] = (unsigned)m->msg_iov[i].iov_len;
      if (m->msg_iov[i].iov_base != NULL) { memcpy(data + off, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len); off += m->msg_iov[i].iov_len; }
    }
    if (m->msg_name != NULL && m->msg_name != BAD) memcpy(lm + 64, m->msg_name, 128);
    c->name = lo_ptr(m->msg_name, lm + 64);
    c->namelen = (int)m->msg_namelen;
    c->iov = lo_ptr(m->msg_iov, (unsigned char *)civ);
    c->iovlen = (unsigned)m->msg_iovlen;
    c->control = lo_ptr(m->msg_control, lm + 32768);
    c->controllen = (unsigned)m->msg_controllen;
    c->flags = (unsigned)m->msg_flags;
  }
  w[0] = (unsigned)fd;
  w[1] = lo_ptr(m, lm);
  w[2] = (unsigned)flags;
  r = socketcall32(num, kind, w, 3, readable);
  e = errno;
  if (m != NULL && (void *)m != BAD) {
    n = m->msg_iov != NULL && (void *)m->msg_iov != BAD && m->msg_iovlen <= 1024 ? m->msg_iovlen : 0;
    for (i = 0, off = 0; i < n; i++)
      if (m->msg_iov[i].iov_base != NULL) { memcpy(m->msg_iov[i].iov_base, data + off, m->msg_iov[i].iov_len); off += m->msg_iov[i].iov_len; }
    if (m->msg_name != NULL && m->msg_name != BAD) memcpy(m->msg_name, lm + 64, 128);
    m->msg_namelen = (socklen_t)c->namelen;
    m->msg_flags = (int)c->flags;
    m->msg_controllen = c->controllen;
  }
  errno = e;
  return r;
}

/* mmap(NULL, len, prot, flags, fd, off), unmapped at once: 0 for a mapping, else -1 (errno). */
static MAYBE_UNUSED long mmap_once(int fd, unsigned long len, int prot, int flags, long off) {
  void *m = mmap(NULL, len, prot, flags, fd, off);
  if (m == MAP_FAILED) return -1;
  munmap(m, len);
  return 0;
}

/* Set when the deadline fired during the last armed call. */
static volatile sig_atomic_t fired;
static void on_alarm(int sig) { (void)sig; fired = 1; }
static MAYBE_UNUSED void arm(void) {
  struct itimerval t = {{0, 0}, {0, DEADLINE_US}};
  fired = 0;
  setitimer(ITIMER_REAL, &t, NULL);
}
static MAYBE_UNUSED void disarm(void) {
  struct itimerval t = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &t, NULL);
}

/* Set-up failed: says why (on the output once it exists; stderr is /dev/null by then) and exits 2. */
static void die(const char *what) {
  fprintf(out != NULL ? out : stderr, "repro: %s: %s\\n", what, strerror(errno));
  if (out != NULL) fflush(out);
  exit(2);
}

static void lo_up(void) {
  struct ifreq ifr;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) die("socket for lo");
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) die("SIOCGIFFLAGS lo");
  /* Set only when down: gVisor (runsc do ./repro) has lo up and answers SIOCSIFFLAGS with ENOTTY. */
  if (!(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) die("SIOCSIFFLAGS lo");
  }
  close(s);
}

/* Writes a sysctl of the new namespace; a failure is noted (with #) but not fatal. */
static void sysctl_set(const char *path, const char *value) {
  FILE *f = fopen(path, "w");
  /* fclose runs once whatever fputs did (a failed fclose has freed f all the same: closing
   * it again was the "double free" seen under gVisor, whose somaxconn refuses writes). */
  int bad = f == NULL || fputs(value, f) < 0;
  if (f != NULL && fclose(f) != 0) bad = 1;
  if (bad) fprintf(out, "# repro: could not write %s to %s: %s\\n", value, path, strerror(errno));
}

static MAYBE_UNUSED void drop_net_bind_service(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) != 0) die("capget");
  d[CAP_NET_BIND_SERVICE / 32].effective &= ~(1u << (CAP_NET_BIND_SERVICE % 32));
  if (syscall(SYS_capset, &h, d) != 0) die("capset");
}

static void close_range_from(unsigned lo, unsigned hi) {
  unsigned fd;
#ifdef SYS_close_range
  if (syscall(SYS_close_range, lo, hi, 0) == 0) return;
#endif
  for (fd = lo; fd <= hi && fd < 65536; fd++) close(fd);
}

/* fds 0, 1, 2: /dev/null O_RDWR; 3: read end of a pipe whose write end is closed; nothing else but OUT_FD. */
static void initial_fds(void) {
  int p[2], nul = open("/dev/null", O_RDWR);
  if (nul < 0) die("open /dev/null");
  if (dup2(nul, 0) != 0 || dup2(nul, 1) != 1 || dup2(nul, 2) != 2) die("dup2 /dev/null");
  if (nul > 2) close(nul);
  close_range_from(3, OUT_FD - 1);
  close_range_from(OUT_FD + 1, ~0u);
  if (pipe(p) != 0) die("pipe");
  close(p[1]);
  if (p[0] != 3) { errno = EBADFD; die("the pipe's read end is not fd 3"); }
}

/* The world's regular file (sockspec's spec/file.ts): ${FILE_SIZE} bytes "000 004 ... ${FILE_SIZE - 4} ",
 * opened O_RDONLY at fd ${FILE_FD}, made in a fresh directory under $TMPDIR (or /tmp) and
 * removed from disk at once (the fd keeps it). Notes when its filesystem's s_maxbytes
 * (the largest offset lseek accepts) differs from the recorded one (-1: above 2^53), or
 * it takes MAP_SYNC otherwise (MAP_SHARED_VALIDATE accepts it; its mmap refuses VM_SYNC;
 * -1: not recorded). */
static MAYBE_UNUSED void world_file(long long recorded_max, int recorded_validate, int recorded_refuse) {
  char path[4096], content[${FILE_SIZE} + 1];
  const char *dir = getenv("TMPDIR");
  long long lo = 0, hi = 0x7fffffffffffffffLL, mid;
  int i, w, r;
  size_t n;
  if (dir == NULL || dir[0] == '\\0') dir = "/tmp";
  snprintf(path, sizeof path, "%s/sockspec-repro-XXXXXX", dir);
  if (mkdtemp(path) == NULL) die("mkdtemp for the file");
  n = strlen(path);
  snprintf(path + n, sizeof path - n, "/file");
  for (i = 0; i < ${FILE_SIZE}; i += 4) snprintf(content + i, 5, "%03d ", i);
  w = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (w < 0 || write(w, content, ${FILE_SIZE}) != ${FILE_SIZE} || close(w) != 0) die("writing the file");
  r = open(path, O_RDONLY);
  unlink(path);
  path[n] = '\\0';
  rmdir(path);
  if (r < 0) die("opening the file");
  if (r != ${FILE_FD} && (dup2(r, ${FILE_FD}) != ${FILE_FD} || close(r) != 0)) die("dup2 of the file");
  while (lo < hi) {
    mid = lo + (hi - lo) / 2 + 1;
    if (lseek(${FILE_FD}, (off_t)mid, SEEK_SET) >= 0) lo = mid;
    else hi = mid - 1;
  }
  lseek(${FILE_FD}, 0, SEEK_SET);
  {
    void *m = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, ${FILE_FD}, 0);
    int validate = m == MAP_FAILED && errno == EACCES, refuse;
    if (m != MAP_FAILED) munmap(m, 4096);
    m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_SYNC, ${FILE_FD}, 0);
    refuse = m == MAP_FAILED && errno == EOPNOTSUPP;
    if (m != MAP_FAILED) munmap(m, 4096);
    if ((recorded_validate >= 0 && validate != recorded_validate) || (recorded_refuse >= 0 && refuse != recorded_refuse))
      fprintf(out, "# repro: this file's filesystem takes MAP_SYNC otherwise than the trace's (validate %d, refuse %d; the trace's %d, %d)\\n", validate, refuse, recorded_validate, recorded_refuse);
  }
  if ((lo > (1LL << 53) ? -1 : lo) != recorded_max)
    fprintf(out, "# repro: this file's filesystem has s_maxbytes %lld; the trace's had %lld (-1: above 2^53)\\n", lo, recorded_max);
}

static void set_nofile(unsigned long n) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) die("getrlimit");
  if (rl.rlim_max != RLIM_INFINITY && n > rl.rlim_max) {
    fprintf(out, "# repro: RLIMIT_NOFILE hard limit %lu is below the trace's %lu\\n", (unsigned long)rl.rlim_max, n);
    n = rl.rlim_max;
  }
  rl.rlim_cur = n;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die("setrlimit");
}
`;
}

function kernelNote(kernel: string): string {
  return `  {
    struct utsname u;
    if (uname(&u) == 0 && strcmp(u.release, ${cString(kernel)}) != 0)
      fprintf(out, "# repro: the trace was recorded on kernel %s; this is %s\\n", ${cString(kernel)}, u.release);
  }
`;
}

/** The start of main(): namespace, loopback, profile, fd table, timer. */
export function cSetup(p: Profile): string {
  return `  struct sigaction sa;
  if (unshare(CLONE_NEWNET) != 0) {
    if (errno == EPERM) {
      fputs("repro: needs root; run it as: unshare -rn ./repro\\n", stderr);
      return 2;
    }
    die("unshare(CLONE_NEWNET)");
  }
  if (dup3(1, OUT_FD, O_CLOEXEC) != OUT_FD) die("dup3 of stdout");
  out = fdopen(OUT_FD, "w");
  if (out == NULL) die("fdopen");
${p.kernel === 'unknown' ? '' : kernelNote(p.kernel)}  lo_up();
  sysctl_set("/proc/sys/net/core/somaxconn", "${p.somaxconn}");
  sysctl_set("/proc/sys/net/ipv4/ip_local_port_range", "${p.portRange[0]} ${p.portRange[1]}");
  sysctl_set("/proc/sys/net/ipv4/ip_unprivileged_port_start", "${p.unprivilegedPortStart}");
  if (${p.capNetBindService ? 0 : 1}) drop_net_bind_service(); /* 1: the trace's profile lacks CAP_NET_BIND_SERVICE */
  fflush(out);
  initial_fds();
${p.file ? `  world_file(${p.file.maxBytes ?? -1}LL, ${p.file.mapSync ? Number(p.file.mapSync.validate) : -1}, ${p.file.mapSync ? Number(p.file.mapSync.refuse) : -1});
` : ''}  set_nofile(${p.nofile}ul);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked call returns EINTR at the deadline */
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGALRM, &sa, NULL) != 0) die("sigaction");
  /* As in Node (which runs the adapter): a send that fails with EPIPE raises SIGPIPE
   * unless MSG_NOSIGNAL (sk_stream_error); ignored, the call returns -1 EPIPE. */
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) die("signal(SIGPIPE)");
`;
}
