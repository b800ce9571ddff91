/**
 * One call in C-like syntax, with symbolic constants:
 * `socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0)`, `bind(5, {AF_INET, 127.0.0.1:5000}, 16)`,
 * `accept4(5, &addr[16], &len, SOCK_CLOEXEC)`, `fcntl(5, F_SETFL, O_NONBLOCK)`,
 * `getsockopt(5, SOL_SOCKET, SO_ERROR, &val[4], &len)`. Pure.
 */
import type { AddrIn, AddrOut, Call, FdSet, IovIn, IovOut, MsgCommon, MsgIn, MsgOut, OptOut, Ptr } from '../../spec/call.js';
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
  // A struct sockaddr_vm: `{AF_VSOCK, cid 1, port 1234}` (with `flags 0x2` when set).
  if (a.vm !== undefined) return `{${domainName(a.family)}, cid ${a.vm.cid >>> 0}, port ${a.port >>> 0}${a.vm.flags ? `, flags 0x${a.vm.flags.toString(16)}` : ''}}, ${a.len}`;
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
export const MSG_FLAGS: readonly (readonly [number, string])[] = [
  [0x1, 'MSG_OOB'], [0x2, 'MSG_PEEK'], [0x8, 'MSG_CTRUNC'], [0x20, 'MSG_TRUNC'], [0x40, 'MSG_DONTWAIT'], [0x100, 'MSG_WAITALL'],
  [0x4000, 'MSG_NOSIGNAL'], [0x80000000, 'MSG_CMSG_COMPAT'],
];

export function msgFlagsName(f: number): string {
  const names: string[] = [];
  let rest = f >>> 0;
  for (const [bit, name] of MSG_FLAGS) if (rest & bit) { names.push(name); rest &= ~bit >>> 0; }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names.length === 0 ? '0' : names.join('|');
}

/**
 * A msghdr: `{name={AF_INET, 127.0.0.1:5000}, 16, iov=["6869"[2], NULL[-1]], 2, control=&ctl[0], 0, flags=0}`
 * (sendmsg: msg_name as an address going in, iovecs with their bytes; recvmsg: msg_name
 * as a buffer `&addr[16]` whose length is msg_namelen, iovecs as buffers `buf[4]`).
 */
function msgArg(msg: MsgIn | MsgOut, out: boolean): string {
  if (msg.ptr !== 'ok') return pointer(msg.ptr);
  const m: MsgCommon<IovIn | IovOut> & { name: AddrIn | { ptr: Ptr; len: number } } = msg;
  const n = m.name;
  const name = out ? `${n.ptr === 'ok' ? `&addr[${n.len}]` : `${pointer(n.ptr)}, ${n.len}`}` : addrIn(n as AddrIn);
  const iov = (v: IovIn | IovOut): string => (v.ptr === 'null' ? `NULL[${v.len}]` : 'data' in v ? dataArg(v.data) : `buf[${v.len}]`);
  const iovs = m.iov !== 'ok' ? pointer(m.iov) : `[${m.iovs.map(iov).join(', ')}]`;
  const ctl = m.control === 'ok' ? `&ctl[${m.controllen}]` : `${pointer(m.control)}, ${m.controllen}`;
  return `{name=${name}, iov=${iovs}, ${m.iovlen}, control=${ctl}, flags=${msgFlagsName(m.flags)}}`;
}

/** A size_t argument: a negative number is its two's complement, shown as `(size_t)-1`. */
function sizeArg(n: number): string {
  return n < 0 ? `(size_t)${n}` : String(n);
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
      // A struct linger shows as {l_onoff, l_linger}.
      return `setsockopt(${c.fd}, ${levelName(c.level)}, ${optName(c.level, c.name)}, ${(c.ptr ?? 'ok') === 'ok' ? (c.linger !== undefined ? `{${c.value}, ${c.linger}}` : `[${c.value}]`) : pointer(c.ptr as Exclude<Ptr, 'ok'>)}, ${c.optlen})`;
    case 'socketpair':
      return `socketpair(${domainName(c.domain)}, ${sockTypeName(c.type)}, ${c.protocol}, ${c.sv === 'ok' ? 'sv' : pointer(c.sv)})`;
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
    case 'sendmsg':
    case 'recvmsg':
      return `${c.op}(${c.fd}, ${msgArg(c.msg, c.op === 'recvmsg')}, ${msgFlagsName(c.flags)})`;
    case 'sendfile': {
      // sendfile(5, 4, &off=100, 300): the offset pointer holds 100 before the call.
      const off = c.offset.ptr === 'ok' ? `&off=${c.offset.value}` : pointer(c.offset.ptr);
      return `sendfile(${c.fd}, ${c.inFd}, ${off}, ${sizeArg(c.count)})`;
    }
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
