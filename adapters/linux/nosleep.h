/*
 * Which accept/accept4/connect calls the kernel will not sleep in (see nosleep.c for the
 * argument, from the kernel's code, that running those on the calling thread is exact).
 */
#ifndef SOCKSPEC_NOSLEEP_H
#define SOCKSPEC_NOSLEEP_H

#include <sys/socket.h>

/* Outcomes of nosleep_connect. */
enum {
  NOSLEEP_DONE,   /* the call was made: *ret and *err hold its answer */
  NOSLEEP_DEFER,  /* it may sleep: make the (blocking) connect under a deadline */
  NOSLEEP_FAILED  /* the file's flags could not be restored: *err says why */
};

/* Whether accept4(fd, ..., flags) may sleep. Reads only: changes no kernel state. */
__attribute__((visibility("hidden")))
int nosleep_accept_may_sleep(int fd, int flags);

/* Makes connect(fd, addr, len) on the calling thread when the kernel will not sleep in
 * it. `split` allows the non-blocking-attempt-then-completion split for blocking TCP
 * sockets (the caller withdraws it once the session has named SO_SNDTIMEO or
 * TCP_FASTOPEN_CONNECT; see nosleep.c). On NOSLEEP_DEFER the caller makes the same
 * blocking connect under a deadline; that call then gives the answer the single
 * blocking call would have given. */
__attribute__((visibility("hidden")))
int nosleep_connect(int fd, const void *addr, socklen_t len, int split, long *ret, int *err);

/* Whether a setsockopt(level, name) can break the split's equivalence (SO_SNDTIMEO*,
 * TCP_FASTOPEN_CONNECT), whatever its value and whether or not it succeeds. */
__attribute__((visibility("hidden")))
int nosleep_breaks_split(int level, int name);

#endif
