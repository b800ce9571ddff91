/*
 * The baseline for the linux adapter's cost: the same syscalls as bench/run.ts's
 * adapter loop, made directly from C in a fresh network namespace.
 * usage: cloop ITERATIONS   prints: <iterations> <calls> <seconds>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  if (unshare(CLONE_NEWNET) < 0) { perror("unshare"); return 2; }
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  ioctl(u, SIOCGIFFLAGS, &ifr);
  ifr.ifr_flags |= IFF_UP;
  ioctl(u, SIOCSIFFLAGS, &ifr);
  close(u);
  long calls = 0;
  double t0 = now();
  for (int i = 0; i < n; i++) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int one = 1;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bind(s, (struct sockaddr *)&a, sizeof a);
    listen(s, 4);
    getsockname(s, (struct sockaddr *)&a, &len);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&a, sizeof a);
    struct sockaddr_in p;
    socklen_t plen = sizeof p;
    int x = accept(s, (struct sockaddr *)&p, &plen);
    fcntl(x, F_GETFL);
    plen = sizeof p;
    getpeername(x, (struct sockaddr *)&p, &plen);
    close(c);
    close(x);
    close(s);
    calls += 13;
  }
  printf("%d %ld %.6f\n", n, calls, now() - t0);
  return 0;
}
