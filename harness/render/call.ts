/**
 * One call in C-like syntax, with symbolic constants:
 * `socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0)`, `bind(5, {AF_INET, 127.0.0.1:5000}, 16)`,
 * `accept4(5, &addr[16], &len, SOCK_CLOEXEC)`, `fcntl(5, F_SETFL, O_NONBLOCK)`,
 * `getsockopt(5, SOL_SOCKET, SO_ERROR, &val[4], &len)`. Pure.
 */
import type { AddrIn, AddrOut, Call, FdSet, OptOut, Ptr } from '../../spec/call.js';
import { F_DUPFD, F_GETFD, F_GETFL, F_SETFD, F_SETFL, SOCKETCALL_NARGS } from '../../spec/constants.js';
import {
  F_DUPFD_CLOEXEC, acceptFlagsName, domainName, fcntlCmdName, fdFlagsName, levelName, optName, pollBitsName, protocolName,
  MMAP_FLAGS, MMAP_PROT, flagsOf, setflArgName, socketcallName, sockTypeName,
} from './names.js';

function pointer(p: Exclude<Ptr, 'ok'>): string {
  return p === 'null' ? 'NULL' : '<bad ptr>';
}

/**
 * A sockaddr going in: `{AF_INET, 127.0.0.1:5000}, 16`, `{AF_INET6, [::1]:5000}, 28` (with
 * `%scope` and `flowinfo=` when nonzero), `NULL, 16` or `<bad ptr>, 16`.
 */
function addrIn(a: AddrIn): string {
  if (a.ptr !== 'ok') return `${pointer(a.ptr)}, ${a.len}`;
  const host = a.addr.includes(':') ? `[${a.addr}${a.scope_id ? `%${a.scope_id}` : ''}]` : a.addr;
  const flow = a.flowinfo ? `, flowinfo=${a.flowinfo}` : '';
  return `{${domainName(a.family)}, ${host}:${a.port}${flow}}, ${a.len}`;
}

/**
 * A sockaddr coming out: `&addr[16], &len` (a buffer whose length `*len` is 16 on entry);
 * with no usable buffer the initial length goes with the length pointer: `NULL, &len=16`.
 */
function addrOut(o: AddrOut): string {
  const buf = o.ptr === 'ok' ? `&addr[${o.len}]` : pointer(o.ptr);
  const len = o.lenPtr !== 'ok' ? pointer(o.lenPtr) : o.ptr === 'ok' ? '&len' : `&len=${o.len}`;
  return `${buf}, ${len}`;
}

/** An option coming out: `&val[4], &len`; with no usable buffer `NULL, &len=4`. */
function optOut(o: OptOut): string {
  const buf = o.ptr === 'ok' ? `&val[${o.len}]` : pointer(o.ptr);
  const len = o.lenPtr !== 'ok' ? pointer(o.lenPtr) : o.ptr === 'ok' ? '&len' : `&len=${o.len}`;
  return `${buf}, ${len}`;
}

function fcntlArgs(cmd: number, arg: number): string {
  switch (cmd) {
    case F_GETFD:
    case F_GETFL:
      return arg === 0 ? '' : `, ${arg}`;
    case F_SETFD:
      return `, ${fdFlagsName(arg)}`;
    case F_SETFL:
      return `, ${setflArgName(arg)}`;
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
    default:
      return `, ${arg}`;
  }
}

/** A payload going out: `"6869"[2]` (hex bytes, then the length passed). */
function dataArg(hex: string): string {
  return `"${hex}"[${hex.length / 2}]`;
}

/** send/recv flags: MSG_* names plus leftover bits in hex, or 0. */
const MSG_FLAGS: readonly (readonly [number, string])[] = [
  [0x1, 'MSG_OOB'], [0x2, 'MSG_PEEK'], [0x20, 'MSG_TRUNC'], [0x40, 'MSG_DONTWAIT'], [0x100, 'MSG_WAITALL'], [0x4000, 'MSG_NOSIGNAL'],
];

export function msgFlagsName(f: number): string {
  const names: string[] = [];
  let rest = f >>> 0;
  for (const [bit, name] of MSG_FLAGS) if (rest & bit) { names.push(name); rest &= ~bit >>> 0; }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names.length === 0 ? '0' : names.join('|');
}

/** shutdown's `how` names (SHUT_RD, SHUT_WR, SHUT_RDWR). */
const SHUT_NAMES: Record<number, string> = { 0: 'SHUT_RD', 1: 'SHUT_WR', 2: 'SHUT_RDWR' };

/** The call as a C expression; numbers without a name stay numbers, unnamed flag bits are hex. */
export function renderCall(c: Call): string {
  switch (c.op) {
    case 'socket':
      return `socket(${domainName(c.domain)}, ${sockTypeName(c.type)}, ${protocolName(c.domain, c.protocol)})`;
    case 'bind':
    case 'connect':
      return `${c.op}(${c.fd}, ${addrIn(c.addr)})`;
    case 'listen':
      return `listen(${c.fd}, ${c.backlog})`;
    case 'accept':
    case 'getsockname':
    case 'getpeername':
      return `${c.op}(${c.fd}, ${addrOut(c.out)})`;
    case 'accept4':
      return `accept4(${c.fd}, ${addrOut(c.out)}, ${acceptFlagsName(c.flags)})`;
    case 'close':
      return `close(${c.fd})`;
    case 'fcntl':
      return `fcntl(${c.fd}, ${fcntlCmdName(c.cmd)}${fcntlArgs(c.cmd, c.arg)})`;
    case 'setsockopt':
      return `setsockopt(${c.fd}, ${levelName(c.level)}, ${optName(c.level, c.name)}, ${(c.ptr ?? 'ok') === 'ok' ? `[${c.value}]` : pointer(c.ptr as Exclude<Ptr, 'ok'>)}, ${c.optlen})`;
    case 'mmap':
      return `mmap(NULL, ${c.len}, ${flagsOf(MMAP_PROT, c.prot) === '0' ? 'PROT_NONE' : flagsOf(MMAP_PROT, c.prot)}, ${flagsOf(MMAP_FLAGS, c.flags)}, ${c.fd}, ${c.offset})`;
    case 'getsockopt':
      return `getsockopt(${c.fd}, ${levelName(c.level)}, ${optName(c.level, c.name)}, ${optOut(c.opt)})`;
    case 'shutdown':
      return `shutdown(${c.fd}, ${SHUT_NAMES[c.how] ?? c.how})`;
    case 'poll': {
      // poll([{4, POLLIN}, {-1, 0}], 2, 0)
      const fds = c.fds !== 'ok' ? pointer(c.fds) : `[${c.entries.map((e) => `{${e.fd}, ${pollBitsName(e.events & 0xffff)}}`).join(', ')}]`;
      return `poll(${fds}, ${c.nfds}, ${c.timeout})`;
    }
    case 'select': {
      // select(5, {3, 4}, NULL, {}, {0 s, 0 us})
      const set = (x: FdSet): string => (x.ptr === 'ok' ? `{${x.fds.join(', ')}}` : pointer(x.ptr));
      const t = c.timeout;
      const tv = t.ptr === 'ok' ? `{${t.sec} s, ${t.usec} us}` : pointer(t.ptr);
      return `select(${c.nfds}, ${set(c.read)}, ${set(c.write)}, ${set(c.except)}, ${tv})`;
    }
    case 'send':
      return `send(${c.fd}, ${dataArg(c.data)}, ${msgFlagsName(c.flags)})`;
    case 'sendto':
      return `sendto(${c.fd}, ${dataArg(c.data)}, ${msgFlagsName(c.flags)}, ${c.addr.ptr === 'null' ? `NULL, ${c.addr.len}` : addrIn(c.addr)})`;
    case 'recv':
      return `recv(${c.fd}, buf, ${c.len}, ${msgFlagsName(c.flags)})`;
    case 'recvfrom':
      return `recvfrom(${c.fd}, buf, ${c.len}, ${msgFlagsName(c.flags)}, ${addrOut(c.out)})`;
    case 'socketcall': {
      // The argument array shows the carried call's arguments: socketcall(SYS_BIND, &args[4, {...}, 16]).
      const inner = c.call === undefined ? '' : renderCall(c.call);
      const list = inner.slice(inner.indexOf('(') + 1, -1);
      const args = c.args !== 'ok' ? pointer(c.args) : `&args[${list}]`;
      const short = c.readable !== undefined ? ` (${c.readable} of ${SOCKETCALL_NARGS[c.num] ?? '?'} words readable)` : '';
      return `socketcall(${socketcallName(c.num)}, ${args}${short})`;
    }
  }
}
