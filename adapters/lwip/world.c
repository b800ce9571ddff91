/*
 * The lwIP world program: one fresh lwIP stack (shim.c) in a network namespace of its
 * own, driven by adapters/lwip/helper.mjs over its stdin and stdout, one line per
 * request and per answer. A new world is a new process, so every world starts from a
 * fresh stack, namespace and TAP device, and nothing of it outlives the process.
 *
 *   usage: world IFNAME IP MASK        (IP and MASK as host-order integers)
 *          world --version             (prints lwIP's version; starts nothing)
 *   < started VERSION                  (or: failed ERRNO STAGE, then exit 1)
 *   > call OP A0 A1 A2 A3 A4 A5 DEADLINE_MS
 *   < result RET ERRNO ADDRLEN BLOCKED BOUND BOUND_ADDR BOUND_PORT ROUNDS OUT_HEX
 *   > settle
 *   < settled ROUNDS
 *   EOF on stdin: exit 0. The parent's death: SIGKILL (PR_SET_PDEATHSIG).
 *
 * fd 1 is pointed at stderr before lwIP starts (lwIP prints its diagnostics and assertion
 * messages with printf); the answers go to a copy of the original stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "shim.h"

static FILE *g_out;

static void answer_result(const int32_t *res, const uint8_t *out)
{
  fprintf(g_out, "result");
  for (int i = 0; i < R_COUNT; i++) fprintf(g_out, " %d", res[i]);
  fputc(' ', g_out);
  for (int i = 0; i < ADDR_BUF; i++) fprintf(g_out, "%02x", out[i]);
  fputc('\n', g_out);
  fflush(g_out);
}

/* Parses "call OP A0..A5 DEADLINE" into op and a[]; 0 when malformed. */
static int parse_call(const char *line, int *op, double *a)
{
  char *end;
  const char *p = line + 4;
  long o = strtol(p, &end, 10);
  if (end == p || o < 0 || o >= OP_COUNT) return 0;
  *op = (int)o;
  p = end;
  for (int i = 0; i < A_COUNT; i++) {
    a[i] = strtod(p, &end);
    if (end == p) return 0;
    p = end;
  }
  return 1;
}

int main(int argc, char **argv)
{
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("%s\n", sl_version());
    return 0;
  }
  if (argc != 4) {
    fprintf(stderr, "usage: %s IFNAME IP MASK\n", argv[0]);
    return 2;
  }
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) return 1;
  int pfd = fcntl(1, F_DUPFD_CLOEXEC, 3);
  if (pfd < 0 || dup2(2, 1) < 0 || (g_out = fdopen(pfd, "w")) == NULL) {
    perror("world: cannot set stdout aside");
    return 1;
  }
  int32_t stage = 0;
  int e = sl_start(argv[1], (uint32_t)strtoul(argv[2], NULL, 10), (uint32_t)strtoul(argv[3], NULL, 10), &stage);
  if (e != 0) {
    fprintf(g_out, "failed %d %d\n", e, stage);
    fflush(g_out);
    return 1;
  }
  fprintf(g_out, "started %s\n", sl_version());
  fflush(g_out);

  char *line = NULL;
  size_t cap = 0;
  double a[A_COUNT];
  int32_t res[R_COUNT];
  uint8_t out[ADDR_BUF];
  while (getline(&line, &cap, stdin) > 0) {
    int op;
    if (strncmp(line, "call ", 5) == 0 && parse_call(line, &op, a)) {
      memset(res, 0, sizeof res);
      memset(out, 0xa5, sizeof out);
      sl_exec(op, a, out, res);
      answer_result(res, out);
    } else if (strcmp(line, "settle\n") == 0) {
      fprintf(g_out, "settled %d\n", sl_settle());
      fflush(g_out);
    } else {
      fprintf(stderr, "world: malformed request: %s", line);
      return 2;
    }
  }
  return 0;
}
