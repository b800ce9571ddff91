/*
 * Shared by sockspec's C shims (adapters/linux/shim.c, adapters/lwip/shim.c): how a
 * socket's local address is reported after bind, listen and connect. The includer
 * defines the result slots R_BOUND, R_BOUND_ADDR and R_BOUND_PORT.
 */
#ifndef SOCKSPEC_CBOUND_H
#define SOCKSPEC_CBOUND_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* `ok`: the getsockname that filled `ss` returned 0. res[R_BOUND] is 1 when it holds an
 * AF_INET address, and then res[R_BOUND_ADDR] (host order) and res[R_BOUND_PORT] say it. */
static void bound_from(int ok, const struct sockaddr_storage *ss, int32_t *res)
{
  res[R_BOUND] = 0;
  if (ok && ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    res[R_BOUND] = 1;
    res[R_BOUND_ADDR] = (int32_t)ntohl(sin->sin_addr.s_addr);
    res[R_BOUND_PORT] = ntohs(sin->sin_port);
  }
#ifdef SOCKSPEC_BOUND6
  /* With SOCKSPEC_BOUND6 (and the four slots from R_BOUND6): res[R_BOUND] is 2 for an
   * AF_INET6 address, its 16 bytes (network order) in res[R_BOUND6..R_BOUND6+3]. */
  if (ok && ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    res[R_BOUND] = 2;
    memcpy(&res[R_BOUND6], &sin6->sin6_addr, 16);
    res[R_BOUND_PORT] = ntohs(sin6->sin6_port);
  }
#endif
}

#endif
