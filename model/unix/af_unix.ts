/**
 * AF_UNIX sockets as socketpair(2) makes them (net/unix/af_unix.c): their own object kind
 * in the model's world, next to the AF_INET Sock. Plain data and pure helpers; the
 * calls on them live in unix_ops.ts, unix_sendrecv.ts, unix_msg.ts and unix_sockopt.ts, reached
 * through unix_proto_ops.ts; socketpair(2) itself is socket/socketpair.ts.
 */
import { LINUX_BUFFERS, type Profile } from '../../spec/profile.js';
import type { State } from '../core/state.js';
import type { UnixType, UnixSock } from '../core/unix_sock.js';

/**
 * skb->truesize of the small skbs the generator sends (0..128 bytes, dgram or stream):
 * measured on 6.18 x86_64 (with SO_SNDBUF at its 4608 minimum, 6 sends of 1 to 64 bytes
 * fit, the 7th is EAGAIN; POLLOUT goes after 2, and at the default 212992 after 70).
 * It is SKB_TRUESIZE of a kmalloc'ed head, and moves with sizeof(struct sk_buff).
 */
export const UNIX_SKB_TRUESIZE = 768;

/** A new socket as unix_create1 leaves it, then unix_socketpair's ESTABLISHED. */
export function newUnix(type: UnixType, fileFlags: number, profile: Profile): UnixSock {
  const b = profile.buffers ?? LINUX_BUFFERS;
  return {
    kind: 'unix',
    type,
    fileFlags,
    st: 'ESTABLISHED',
    peer: null,
    name: null,
    shut: 0,
    err: null,
    rq: [],
    rcvbuf: b.rmemDefault,
    sndbuf: b.wmemDefault,
    keepalive: false,
    reuse: false,
    lingerOn: false,
    lingerTime: 0,
    dead: false,
    refs: 1,
  };
}

/** The unix socket with object id `id` (undefined when there is none). */
export function unixObj(s: State, id: number | null): UnixSock | undefined {
  if (id === null) return undefined;
  const o = s.objs[id];
  return o !== undefined && o.kind === 'unix' ? o : undefined;
}

/** sk_wmem_alloc_get(sk): the truesize of this socket's skbs not freed yet (queued anywhere). */
export function wmemOf(s: State, id: number): number {
  let n = 0;
  for (const k in s.objs) {
    const o = s.objs[k as unknown as number]!;
    if (o.kind === 'unix') for (const skb of o.rq) if (skb.from === id) n += skb.truesize ?? UNIX_SKB_TRUESIZE;
  }
  return n;
}

/**
 * skb->truesize of a record of `len` bytes (up to 704) that unix_*_sendmsg copies into a
 * linear skb: a kmalloc'ed head of SKB_DATA_ALIGN(len) + the 320-byte skb_shared_info, in
 * the 512-byte bucket up to 192 bytes and the 1024-byte one above, plus the 256-byte
 * struct sk_buff. A stream send that splices pages (sendfile: MSG_SPLICE_PAGES) takes an
 * empty head and charges the bytes on top ("refcount_add(size, &sk->sk_wmem_alloc)").
 * Measured on 6.18 x86_64 with SO_SNDBUF at its 4608 minimum: records of 1 to 192 bytes,
 * 6 fit; 193 to 300, 4; spliced stream skbs of 128 bytes 6, of 192 to 300 bytes 5.
 */
export function unixSkbTruesize(len: number, spliced: boolean): number {
  if (spliced) return UNIX_SKB_TRUESIZE + len;
  return len <= 192 ? UNIX_SKB_TRUESIZE : 1280;
}

/** unix_writable: not listening and (sk_wmem_alloc << 2) <= sk_sndbuf (sk_wmem_alloc starts at 1). */
export function unixWritable(s: State, id: number, u: UnixSock): boolean {
  return (wmemOf(s, id) + 1) * 4 <= u.sndbuf;
}

/** unix_recvq_full_lockless: more skbs queued than sk_max_ack_backlog (net.unix.max_dgram_qlen, 10 in a new netns). */
export const MAX_DGRAM_QLEN = 10;
export function recvqFull(u: UnixSock): boolean {
  return u.rq.length > MAX_DGRAM_QLEN;
}

/** The bytes of sockaddr_un unix_getname reports: the family and the name (or just the family, length 2). */
export function sunHex(u: UnixSock | undefined): string {
  return '0100' + (u?.name ?? '');
}

/**
 * The live socket bound to abstract `name` with `type` (unix_find_abstract: the hash
 * includes the type, and unix_release_sock unhashes a dead socket).
 */
export function findAbstract(s: State, name: string, type: UnixType): number | undefined {
  for (const k in s.objs) {
    const o = s.objs[k as unknown as number]!;
    if (o.kind === 'unix' && !o.dead && o.type === type && o.name === name) return Number(k);
  }
  return undefined;
}
