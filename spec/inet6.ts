/**
 * IPv6 address text and the bytes of a struct sockaddr_in6. Addresses travel as canonical
 * text (RFC 5952: lower case, the longest run of two or more zero groups as '::', v4-mapped
 * addresses as '::ffff:a.b.c.d'), so that equal addresses compare equal as strings. Pure
 * functions; no I/O.
 */
import { AF_INET, AF_INET6, SOCKADDR_IN_LEN, SOCKADDR_IN6_LEN, SOCKADDR_STORAGE_LEN } from './constants.js';

/** True when `a` is IPv6 text (it has a colon); dotted quads are IPv4. */
export function isV6Text(a: string): boolean {
  return a.includes(':');
}

/** The 16 bytes of IPv6 text `a`, or undefined if it is not one. */
export function parseIpv6(a: string): Uint8Array | undefined {
  let text = a;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    const quad = text.slice(lastColon + 1).split('.');
    if (quad.length !== 4 || quad.some((q) => !/^\d{1,3}$/.test(q) || Number(q) > 255)) return undefined;
    tail.push(...quad.map(Number));
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const g = h.split(':');
    if (g.some((x) => !/^[0-9a-fA-F]{1,4}$/.test(x))) return undefined;
    return g.map((x) => parseInt(x, 16));
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || rest === undefined) return undefined;
  const fill = 8 - head.length - rest.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest];
  const b = new Uint8Array(16);
  all.forEach((g, i) => { b[2 * i] = g >> 8; b[2 * i + 1] = g & 0xff; });
  if (tail.length === 4) b.set(tail, 12);
  return b;
}

/** Canonical text of 16 address bytes (RFC 5952; '::ffff:a.b.c.d' for v4-mapped addresses). */
export function formatIpv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Canonical form of IPv6 text (unchanged if it does not parse). */
export function canonicalIpv6(a: string): string {
  const b = parseIpv6(a);
  return b === undefined ? a : formatIpv6(b);
}

/** The IPv4 address a v4-mapped IPv6 text stands for ('::ffff:a.b.c.d' → 'a.b.c.d'), else undefined. */
export function mappedV4(a: string): string | undefined {
  return a.startsWith('::ffff:') && a.slice(7).includes('.') ? a.slice(7) : undefined;
}

/** The fields of an address going in (AddrIn with a valid pointer). */
export interface SockaddrFields {
  family: number;
  addr: string;
  port: number;
  flowinfo?: number;
  scope_id?: number;
}

/**
 * The sockaddr_storage-sized buffer an address going in is built in: zeros, the family, the
 * big-endian port, then a sockaddr_in's address (dotted text) or a sockaddr_in6's
 * flowinfo, address and scope id (IPv6 text). The family field is the caller's, whatever
 * the layout, so that mismatches can be expressed.
 */
export function sockaddrBytes(a: SockaddrFields): Uint8Array {
  const b = new Uint8Array(SOCKADDR_STORAGE_LEN);
  const v = new DataView(b.buffer);
  v.setUint16(0, a.family & 0xffff, true);
  v.setUint16(2, a.port & 0xffff, false);
  if (isV6Text(a.addr)) {
    v.setUint32(4, (a.flowinfo ?? 0) >>> 0, false);
    b.set(parseIpv6(a.addr) ?? new Uint8Array(16), 8);
    v.setUint32(24, (a.scope_id ?? 0) >>> 0, true);
  } else {
    const q = a.addr.split('.').map((x) => Number(x) & 0xff);
    for (let i = 0; i < 4; i++) b[4 + i] = q[i] ?? 0;
  }
  return b;
}

/**
 * The bytes the kernel writes out for a local or peer address (inet_getname,
 * inet6_getname, the source address of a datagram): a sockaddr_in (16 bytes) for dotted
 * text, a sockaddr_in6 (28 bytes, flowinfo 0, scope id `scope`) for IPv6 text. Hex.
 */
export function sockaddrOutHex(addr: string, port: number, scope = 0): string {
  const v6 = isV6Text(addr);
  const len = v6 ? SOCKADDR_IN6_LEN : SOCKADDR_IN_LEN;
  const b = sockaddrBytes({ family: v6 ? AF_INET6 : AF_INET, addr, port, flowinfo: 0, scope_id: scope });
  return Buffer.from(b.subarray(0, len)).toString('hex');
}

/**
 * What the kernel reads from an address buffer as a sockaddr_in: the address at bytes 4..7
 * (for IPv6-laid-out text, that is sin6_flowinfo).
 */
export function in4View(a: SockaddrFields): string {
  if (!isV6Text(a.addr)) return a.addr;
  const f = (a.flowinfo ?? 0) >>> 0;
  return `${f >>> 24}.${(f >>> 16) & 255}.${(f >>> 8) & 255}.${f & 255}`;
}

/**
 * What the kernel reads from an address buffer as a sockaddr_in6: canonical address text,
 * flowinfo and scope id (for dotted text: the address bytes are sin6_flowinfo, and
 * sin6_addr is all zeros).
 */
export function in6View(a: SockaddrFields): { addr: string; flowinfo: number; scope_id: number } {
  if (isV6Text(a.addr)) return { addr: canonicalIpv6(a.addr), flowinfo: (a.flowinfo ?? 0) >>> 0, scope_id: (a.scope_id ?? 0) >>> 0 };
  const q = a.addr.split('.').map((x) => Number(x) & 0xff);
  return { addr: '::', flowinfo: (((q[0] ?? 0) << 24) | ((q[1] ?? 0) << 16) | ((q[2] ?? 0) << 8) | (q[3] ?? 0)) >>> 0, scope_id: 0 };
}
