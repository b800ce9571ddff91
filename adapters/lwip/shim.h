/*
 * The lwIP side of the world program (shim.c), as world.c drives it.
 */
#ifndef SOCKSPEC_LWIP_SHIM_H
#define SOCKSPEC_LWIP_SHIM_H

#include <stdint.h>

/* Op codes (the helper's world.ts sends these numbers). */
enum { OP_SOCKET, OP_BIND, OP_LISTEN, OP_ACCEPT, OP_CONNECT, OP_GETSOCKNAME, OP_GETPEERNAME, OP_CLOSE, OP_FCNTL, OP_SETSOCKOPT, OP_SHUTDOWN, OP_COUNT };

/* Argument slots; a[A_FD] is lwIP's socket number (or socket's domain).
 * AddrIn (bind, connect): a[1] ptr kind, a[2] len, a[3] family, a[4] addr (host order), a[5] port.
 * AddrOut (accept, get*name): a[1] ptr kind, a[2] lenptr kind, a[3] len.
 * listen: a[1] backlog. fcntl: a[1] cmd, a[2] arg. setsockopt: a[1] level, a[2] name, a[3] value, a[4] optlen.
 * shutdown: a[1] how.
 * socket: a[0] domain, a[1] type, a[2] protocol. a[A_DEADLINE]: ms a blocking connect may take. */
enum { A_FD = 0, A_1, A_2, A_3, A_4, A_5, A_DEADLINE, A_COUNT };

/* Pointer kinds. A faulting pointer never reaches the shim: lwIP is a library in this
 * process, and would crash on one rather than answer EFAULT. */
enum { PTR_OK = 0, PTR_NULL = 1 };

/* Result slots. R_BLOCKED: 0 returned, 1 still waiting at the deadline, -1 the shim
 * itself failed (errno in R_ERRNO). R_ROUNDS: tcpip-thread round trips of the settle. */
enum { R_RET = 0, R_ERRNO, R_ADDRLEN, R_BLOCKED, R_BOUND, R_BOUND_ADDR, R_BOUND_PORT, R_ROUNDS, R_COUNT };

/* sl_start's failing stage. */
enum { ST_OK, ST_TWICE, ST_TUN, ST_UNSHARE, ST_SEM, ST_NETIF, ST_LINK };

/* Bytes of an output address buffer (sizeof(struct sockaddr_storage)). */
#define ADDR_BUF 128

const char *sl_version(void);
int sl_start(const char *ifname, uint32_t ip, uint32_t mask, int32_t *stage);
int sl_exec(int op, const double *a, uint8_t *out, int32_t *res);
int sl_settle(void);

#endif
