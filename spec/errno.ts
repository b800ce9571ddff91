/**
 * The one errno table: Linux x86_64 numbers (include/uapi/asm-generic/errno-base.h,
 * errno.h) for every errno a model rule can raise. Adapters translate numbers to names
 * with it; traces and rules use the names.
 */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EINVAL: 22,
  ENODEV: 19,
  ENFILE: 23,
  EMFILE: 24,
  ESPIPE: 29,
  EPIPE: 32,
  ENOSYS: 38,
  EOVERFLOW: 75,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EPFNOSUPPORT: 96,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
} as const;

/** An errno by name, as it appears in traces, rules and the wire protocol. */
export type ErrnoName = keyof typeof ERRNO;

const BY_NUMBER = new Map<number, ErrnoName>(
  (Object.entries(ERRNO) as [ErrnoName, number][]).map(([name, n]) => [n, name]),
);

/** The name of errno number `n`, or `E<n>` for a number outside the table (never throws). */
export function errnoName(n: number): ErrnoName | `E${number}` {
  return BY_NUMBER.get(n) ?? `E${n}`;
}
