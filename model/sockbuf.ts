/**
 * Socket buffer sizes as setsockopt(SO_RCVBUF / SO_SNDBUF) sets them (sk_setsockopt,
 * __sock_set_rcvbuf): the value, read as unsigned, is clamped to rmem_max / wmem_max
 * ("min_t(u32, val, sysctl_rmem_max)", so a negative value asks for the maximum), then
 * to INT_MAX / 2, doubled, and raised to SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF. Pure.
 */
import { LINUX_BUFFERS, type Profile } from '../spec/profile.js';

/**
 * include/net/sock.h: TCP_SKB_MIN_TRUESIZE = 2048 + SKB_DATA_ALIGN(sizeof(struct
 * sk_buff)); SOCK_MIN_RCVBUF is one of it, SOCK_MIN_SNDBUF two. sizeof(struct sk_buff)
 * is 232 on x86_64 (aligned to 256 by SKB_DATA_ALIGN); measured on Linux 6.18:
 * SO_RCVBUF 0 reads back 2304, SO_SNDBUF 0 reads back 4608.
 */
export const SOCK_MIN_RCVBUF = 2048 + 256;
export const SOCK_MIN_SNDBUF = 2 * SOCK_MIN_RCVBUF;

const INT_MAX_HALF = 0x3fffffff;

function size(val: number, max: number, min: number): number {
  const v = Math.min(Math.min(val >>> 0, max), INT_MAX_HALF);
  return Math.max(v * 2, min);
}

/** sk_rcvbuf after setsockopt(SO_RCVBUF, val). */
export function rcvbufFor(p: Profile, val: number): number {
  return size(val, (p.buffers ?? LINUX_BUFFERS).rmemMax, SOCK_MIN_RCVBUF);
}

/** sk_sndbuf after setsockopt(SO_SNDBUF, val). */
export function sndbufFor(p: Profile, val: number): number {
  return size(val, (p.buffers ?? LINUX_BUFFERS).wmemMax, SOCK_MIN_SNDBUF);
}
