/**
 * Copying addresses across the user/kernel boundary (net/socket.c) and the bytes of a
 * struct sockaddr_in. Pure functions.
 */
import type { AddrIn, AddrOut } from '../../spec/call.js';
import type { ErrnoName } from '../../spec/errno.js';
import { AF_INET, SOCKADDR_IN_LEN, SOCKADDR_STORAGE_LEN } from '../../spec/constants.js';
import { isV6Text, sockaddrOutHex } from '../../spec/inet6.js';
import type { Endpoint } from './inet_sock.js';
import type { Profile } from '../../spec/profile.js';
import { variantOf } from '../../spec/variants.js';

/**
 * move_addr_to_kernel: a length below 0 or above sizeof(sockaddr_storage) is EINVAL; a
 * zero length copies nothing; otherwise a faulting (or NULL) pointer is EFAULT.
 */
export function moveAddrToKernel(a: AddrIn): ErrnoName | undefined {
  if (a.len < 0 || a.len > SOCKADDR_STORAGE_LEN) return 'EINVAL';
  if (a.len === 0) return undefined;
  if (a.ptr !== 'ok') return 'EFAULT';
  return undefined;
}

/**
 * The bytes the kernel writes out for endpoint `e`, as hex: a struct sockaddr_in (16 bytes,
 * inet_getname) for dotted text, a struct sockaddr_in6 (28 bytes, inet6_getname:
 * sin6_flowinfo 0, sin6_scope_id 0, as no link-local address is ever bound or connected
 * here) for IPv6 text.
 */
export function sockaddrInHex(e: Endpoint): string {
  if (isV6Text(e.addr)) return sockaddrOutHex(e.addr, e.port);
  const b = Buffer.alloc(SOCKADDR_IN_LEN);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(e.port, 2);
  const parts = e.addr.split('.').map(Number);
  for (let i = 0; i < 4; i++) b[4 + i] = parts[i] ?? 0;
  return b.toString('hex');
}

/** What the caller's buffer holds when the kernel wrote nothing: the adapter's 0xa5 fill. */
export function untouched(out: AddrOut): { addr?: string; addrlen?: number } {
  const r: { addr?: string; addrlen?: number } = {};
  if (out.ptr === 'ok') r.addr = 'a5'.repeat(Math.min(Math.max(out.len, 0), SOCKADDR_STORAGE_LEN));
  if (out.lenPtr === 'ok') r.addrlen = out.len;
  return r;
}

export type CopyOut =
  { errno: ErrnoName; addr?: string; addrlen?: number } | { errno?: undefined; addr?: string; addrlen?: number };

/**
 * move_addr_to_user(kaddr, klen, uaddr, ulen): reading *ulen faults → EFAULT; len is
 * clamped to klen; len < 0 → EINVAL (nothing written); the true length klen is written
 * back; then len bytes are copied, a faulting (or NULL) buffer giving EFAULT after the
 * length was already written (variant addr-len-on-fault=written). That last order is what
 * Linux 6.18 does (measured here:
 * getsockname(fd, NULL, &len=16) fails with EFAULT and leaves len = 16 written; the
 * older net/socket.c copied the address first and wrote the length only on success).
 */
export function moveAddrToUser(out: AddrOut, kaddrHex: string, profile: Profile): CopyOut {
  const before = untouched(out);
  if (out.lenPtr !== 'ok') return { errno: 'EFAULT', ...before };
  const klen = kaddrHex.length / 2;
  const len = Math.min(out.len, klen);
  if (len < 0) return { errno: 'EINVAL', ...before };
  // Variant addr-len-on-fault (spec/variants.ts): 'written' as above (6.18); 'kept': the
  // address is copied first and the length written only on success (6.1, 6.12).
  if (len > 0 && out.ptr !== 'ok') {
    return variantOf(profile.variants, 'addr-len-on-fault') === 'kept'
      ? { errno: 'EFAULT', ...before }
      : { errno: 'EFAULT', ...before, addrlen: klen };
  }
  const r: CopyOut = { addrlen: klen };
  if (out.ptr === 'ok') {
    const shown = Math.min(Math.max(out.len, 0), SOCKADDR_STORAGE_LEN);
    r.addr = (kaddrHex.slice(0, len * 2) + 'a5'.repeat(shown)).slice(0, shown * 2);
  }
  return r;
}

/**
 * What sendmsg's control buffer brings to the protocol (____sys_sendmsg copied it):
 * none (msg_controllen 0), no cmsg in it (shorter than a struct cmsghdr), or a zero-filled
 * first cmsghdr, whose cmsg_len 0 fails CMSG_OK in the protocol's parser (EINVAL).
 */
export type Ctl = 'none' | 'empty' | 'bogus';
