/*
 * sockspec's program inside a qemu guest (adapters/linux-vm): it links the linux adapter's
 * executor (adapters/linux/shim.c, nosleep.c) and serves the host's requests, one at a
 * time, on a virtio-serial port. Built with `cc -static`; the guest's /init runs it and
 * powers the guest off when it exits (on EOF: the host closed the port, or died).
 *
 * Frames are little-endian, of fixed layout (channel.ts writes and reads them):
 *   request:  int32 cmd, op, nvec, nvout, text_len; double a[A_SLOTS]; uint8 out[OUT_LEN];
 *             int32 vec[nvec]; char text[text_len]
 *   response: int32 rc; int32 res[RES_LEN]; uint8 out[OUT_LEN]; int32 nvout;
 *             int32 vout[nvout]; int32 text_len; char text[text_len]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

int ss_init(void);
int ss_open(int32_t *res, int32_t nofile, int32_t drop_bind_service, const char *file_dir, double *file_facts);
int ss_close(void);
int ss_exec(int op, const double *a, uint8_t *out, int32_t *res);
int ss_try(int op, const double *a, uint8_t *out, int32_t *res);
int ss_probe_socketcall(void);
void ss_setvec(const int32_t *v, int32_t n);
void ss_getvec(int32_t *v, int32_t n);

enum { CMD_EXEC = 1, CMD_TRY_EXEC = 2, CMD_OPEN = 3, CMD_CLOSE = 4, CMD_READ = 5, CMD_PROBE_SOCKETCALL = 6 };
#define A_SLOTS 10
#define A_DEADLINE 7 /* shim.c A_DEADLINE */
#define OUT_LEN 256
#define RES_LEN 12
#define VEC_WORDS 4200 /* >= shim.c VEC_MAX */
#define TEXT_MAX 65536

static int32_t g_res[RES_LEN];
static double g_a[A_SLOTS];
static uint8_t g_out[OUT_LEN];
static int32_t g_v[VEC_WORDS];
static char g_text[TEXT_MAX];
static char g_reply[TEXT_MAX];
static uint8_t g_frame[4 + 4 * RES_LEN + OUT_LEN + 4 + 4 * VEC_WORDS + 4 + TEXT_MAX];

static int read_all(int fd, void *p, size_t n)
{
  uint8_t *b = p;
  while (n > 0) {
    ssize_t r = read(fd, b, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    b += r;
    n -= (size_t)r;
  }
  return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t r = write(fd, b, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    b += r;
    n -= (size_t)r;
  }
  return 0;
}

/* CMD_READ: for each newline-separated path of the request, "1" and its contents (at most
 * 4 KiB) for a regular file, "d" for anything else that exists (never opened), "0" when it
 * does not exist or cannot be read, each followed by a NUL. Returns the reply's length. */
static int32_t read_files(const char *paths, int32_t len)
{
  int32_t at = 0;
  const char *p = paths, *end = paths + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) nl = end;
    char path[512];
    size_t n = (size_t)(nl - p) < sizeof path - 1 ? (size_t)(nl - p) : sizeof path - 1;
    memcpy(path, p, n);
    path[n] = 0;
    p = nl + 1;
    if (at + 4096 + 3 > TEXT_MAX) break;
    struct stat st;
    if (stat(path, &st) < 0) {
      g_reply[at++] = '0';
    } else if (!S_ISREG(st.st_mode)) {
      g_reply[at++] = 'd'; /* exists, not read: a directory or a device */
    } else {
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      ssize_t r = fd < 0 ? -1 : read(fd, g_reply + at + 1, 4096);
      if (fd >= 0) close(fd);
      if (r < 0) {
        g_reply[at++] = '0';
      } else {
        g_reply[at] = '1';
        at += 1 + (int32_t)r;
      }
    }
    g_reply[at++] = 0;
  }
  return at;
}

int main(int argc, char **argv)
{
  if (argc < 2) return 2;
  /* The shim's fd region needs room above 1024 (shim.c choose_base). */
  struct rlimit rl = { 65536, 65536 };
  setrlimit(RLIMIT_NOFILE, &rl);
  /* As in Node (the linux adapter's process): a write to a closed socket answers EPIPE. */
  signal(SIGPIPE, SIG_IGN);
  int e = ss_init();
  if (e) {
    fprintf(stderr, "sockspec guest: ss_init failed (errno %d)\n", e);
    return 3;
  }
  int fd = open(argv[1], O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    perror(argv[1]);
    return 4;
  }
  for (;;) {
    int32_t h[5];
    if (read_all(fd, h, sizeof h) < 0) {
      fprintf(stderr, "sockspec guest: the channel closed (%s)\n", strerror(errno));
      return 0;
    }
    int32_t cmd = h[0], op = h[1], nvec = h[2], nvout = h[3], tlen = h[4];
    if (nvec < 0 || nvec > VEC_WORDS || nvout < 0 || nvout > VEC_WORDS || tlen < 0 || tlen > TEXT_MAX) {
      fprintf(stderr, "sockspec guest: a malformed request (cmd %d nvec %d nvout %d text %d)\n", cmd, nvec, nvout, tlen);
      return 5;
    }
    if (read_all(fd, g_a, sizeof g_a) < 0 || read_all(fd, g_out, sizeof g_out) < 0) return 0;
    if (nvec > 0 && read_all(fd, g_v, sizeof *g_v * (size_t)nvec) < 0) return 0;
    if (tlen > 0 && read_all(fd, g_text, (size_t)tlen) < 0) return 0;
    int32_t rc = 0, rlen = 0;
    memset(g_res, 0, sizeof g_res);
    switch (cmd) {
    case CMD_EXEC:
    case CMD_TRY_EXEC:
      if (nvec > 0) ss_setvec(g_v, nvec);
      if (cmd == CMD_EXEC) {
        ss_exec(op, g_a, g_out, g_res);
      } else {
        /* CMD_TRY_EXEC: the host set a[A_DEADLINE] for the timed ss_exec; the attempt is made
         * without it, as the linux adapter makes it (a[A_DEADLINE] 0: no timer, no cut). */
        double deadline = g_a[A_DEADLINE];
        g_a[A_DEADLINE] = 0;
        int later = ss_try(op, g_a, g_out, g_res);
        g_a[A_DEADLINE] = deadline;
        if (later) ss_exec(op, g_a, g_out, g_res);
      }
      break;
    case CMD_OPEN: {
      /* a[0] nofile, a[1] drop CAP_NET_BIND_SERVICE, a[2] with the world's file (under /tmp);
       * the file's facts come back as four doubles at out[0..32), the files named in the
       * text as CMD_READ answers them. */
      double facts[4] = { 0, 0, 0, 0 };
      rc = ss_open(g_res, (int32_t)g_a[0], (int32_t)g_a[1], g_a[2] != 0 ? "/tmp" : NULL, facts);
      memcpy(g_out, facts, sizeof facts);
      /* The request's paths are read in the new namespace, as CMD_READ reads them. */
      if (rc == 0 && tlen > 0) rlen = read_files(g_text, tlen);
      break;
    }
    case CMD_CLOSE:
      rc = ss_close();
      break;
    case CMD_READ:
      rlen = read_files(g_text, tlen);
      break;
    case CMD_PROBE_SOCKETCALL:
      rc = ss_probe_socketcall();
      break;
    default:
      rc = -1;
    }
    if (nvout > 0) ss_getvec(g_v, nvout);
    /* One write per response: each write on a virtio port is one buffer to the host. */
    size_t at = 0;
#define PUT(p, n) (memcpy(g_frame + at, (p), (n)), at += (n))
    PUT(&rc, sizeof rc);
    PUT(g_res, sizeof g_res);
    PUT(g_out, sizeof g_out);
    PUT(&nvout, sizeof nvout);
    PUT(g_v, sizeof *g_v * (size_t)nvout);
    PUT(&rlen, sizeof rlen);
    PUT(g_reply, (size_t)rlen);
#undef PUT
    if (write_all(fd, g_frame, at) < 0) {
      fprintf(stderr, "sockspec guest: cannot answer (%s)\n", strerror(errno));
      return 0;
    }
  }
}
