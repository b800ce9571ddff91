/**
 * Call templates: what the generator produces and shrinking works on. Targets are
 * positions among live objects, resolved against the model's world just before each call,
 * so a shrunk sequence still aims at something that exists.
 */
import { variantOf } from '../spec/variants.js';
import type { AddrIn, Call, FdSet, IovIn, MsgCommon, SockaddrVm, SocketcallInner } from '../spec/call.js';
import { AF_INET, AF_INET6, AF_UNIX, AF_VSOCK, SIN6_LEN_RFC2133, SOCKADDR_IN6_LEN, SOCKADDR_IN_LEN, SOCK_DGRAM, SOCK_STREAM, SOCK_TYPE_MASK, VMADDR_CID_HOST, VMADDR_CID_HYPERVISOR, VMADDR_CID_LOCAL } from '../spec/constants.js';
import { FDSET_LIMIT, O_NONBLOCK } from '../spec/constants.js';
import { FILE_SIZE } from '../spec/file.js';
import { liveFds, type State } from '../model/index.js';
import { lowestFreeFd, sockName, wmemOf, type Sock } from '../model/index.js';

/**
 * Which sockets a role picks from (any socket when none has the role):
 * listener: TCP in LISTEN; idle: TCP or UDP in CLOSE without a port; tcpIdle: TCP in
 * CLOSE; connected: has a peer address; udp: any UDP socket; tcpRecv: any TCP socket;
 * tcpReadable: a TCP socket with bytes queued (else as tcpRecv); tcpSend: a TCP socket a
 * send may target (see tcpSendable); tcpPeer: one of those that has a peer to send to
 * (else as tcpSend); tcpFile: a TCP socket a sendfile of the whole file may target (see
 * tcpFileTarget); filePeer: a connected UDP socket or a tcpFile socket with a peer to send
 * to (else as tcpFile); unix: an AF_UNIX socket (socketpair); unixReadable: one with something
 * queued (else as unix); unixBusy: the ones whose sends fill the most of a send buffer
 * (so that sends pile up on one socket until it is full). The data calls' roles never fall back to other sockets: with none,
 * they get an open file, which every socket call refuses with ENOTSOCK, or else an fd
 * that is not open. vsock: an AF_VSOCK socket (model/vsock/af_vsock.ts), else as the data roles.
 */
export type Role = 'listener' | 'idle' | 'tcpIdle' | 'connected' | 'udp' | 'tcpRecv' | 'tcpReadable' | 'tcpSend' | 'tcpPeer' | 'tcpFile' | 'filePeer' | 'unix' | 'unixReadable' | 'unixBusy' | 'vsock';

/** Most bytes a generated send carries (generate.ts). */
const PAYLOAD_MAX = 64;

/**
 * The TCP sockets the generator sends on, keeping sequences inside what the model
 * answers (model/ipv4/tcp_output.ts): not a blocking SYN_SENT socket (the adapter makes sends
 * without a deadline, and the handshake waits for a SYN retransmission, >= 1 s); fewer
 * than 6 segments in flight or held, so that a FIN pushes everything held within the
 * initial congestion window; and at most 512 bytes queued at the peer or held for it
 * after this send, so that even SO_RCVBUF's minimum (2304) surely takes them with a FIN.
 */
function tcpSendable(s: State, o: Sock, payload = PAYLOAD_MAX, timed = false): boolean {
  if (o.proto !== 'tcp') return false;
  if (o.st === 'SYN_SENT' && !(o.fileFlags & O_NONBLOCK) && !timed) return false;
  if (o.unacked + o.held.length >= 6) return false;
  const peer = o.peer === null ? undefined : s.objs[o.peer];
  const queued = peer !== undefined && peer.kind === 'socket' ? peer.stream.length / 2 : 0;
  return queued + o.held.join('').length / 2 + payload <= 512;
}

/** An SO_SNDBUF small enough that a few unacknowledged skbs fill it (as model/ipv4/tcp_sendmsg.ts). */
const SMALL_SNDBUF = 65536;

/**
 * The TCP sockets the generator aims a sendfile at: as tcpSendable for a send of the whole
 * file, blocking SYN_SENT sockets included (the adapter makes a sendfile to a blocking TCP
 * socket under the deadline, so the wait for the handshake is observed as blocked), and
 * not a blocking socket whose small locked send buffer may be full of skbs waiting for an
 * ACK (a delayed ACK may come later than the deadline; a send has none).
 */
function tcpFileTarget(s: State, o: Sock): boolean {
  if (!tcpSendable(s, o, FILE_SIZE, true)) return false;
  return (o.fileFlags & O_NONBLOCK) !== 0 || !o.sndbufLock || o.sndbuf >= SMALL_SNDBUF || (o.unacked === 0 && o.held.length === 0);
}

/**
 * An fd: the k-th live fd (mod their number), the k-th live socket, the k-th socket with
 * a role, or a raw number.
 */
export type FdRef = { live: number } | { sock: number } | { listener: number } | { role: Role; k: number } | { raw: number };
/** A port or address: a literal, or that of the k-th live socket or k-th listener. */
export type PortRef = number | { of: number } | { listener: number } | { udp: number };
export type AddrRef = string | { of: number } | { listener: number } | { udp: number };

/**
 * An address going in. With `pick`, the address follows the family of the socket the call
 * targets: for an AF_INET6 socket a sockaddr_in6 of 28 bytes (24 for pick 7) with the IPv6
 * form of the address (pick chooses between '::1' and '::ffff:127.0.0.1', '::' and
 * '::ffff:0.0.0.0'; other IPv4 addresses are v4-mapped); for an AF_INET socket IPv6 names
 * of other sockets become IPv4 ('::ffff:a.b.c.d' → a.b.c.d, '::' → 0.0.0.0, '::1' →
 * 127.0.0.1). Without it, the address is taken as written.
 */
export type AddrInT =
  | { ptr: 'ok'; len: number; family: number; addr: AddrRef; port: PortRef; pick?: number; flowinfo?: number; scope_id?: number; vm?: SockaddrVm }
  | { ptr: 'null' | 'bad'; len: number };

/** sendmsg's msghdr with msg_name as a reference. */
export type MsgInT = ({ ptr: 'ok'; name: AddrInT } & MsgCommon<IovIn>) | { ptr: 'null' | 'bad' };

/** A Call whose fd and address may be references, resolved against the model's world. */
type ToTemplate<C> = C extends { addr: AddrIn }
  ? Omit<C, 'fd' | 'addr'> & { fd: FdRef; addr: AddrInT }
  : C extends { op: 'sendmsg' } ? Omit<C, 'fd' | 'msg'> & { fd: FdRef; msg: MsgInT }
  : C extends { fd: number } ? Omit<C, 'fd'> & { fd: FdRef } : C;

/** The templates socketcall can carry. */
export type InnerTemplate = ToTemplate<SocketcallInner>;

/** poll's entries name fds by reference; nfds absent: the number of entries. */
export type PollTemplate = Omit<Extract<Call, { op: 'poll' }>, 'entries' | 'nfds'> & { entries: { fd: FdRef; events: number }[]; nfds?: number };
/** An fd_set of references (members that resolve to 64 or more are left out, see FdSet). */
export type FdSetT = { ptr: 'ok'; fds: FdRef[] } | { ptr: 'null' | 'bad' };
/** select's sets by reference; nfds absent: one more than the highest member. */
export type SelectTemplate = Omit<Extract<Call, { op: 'select' }>, 'read' | 'write' | 'except' | 'nfds'> & { read: FdSetT; write: FdSetT; except: FdSetT; nfds?: number };

/** sendfile names two fds by reference: out_fd (`fd`) and in_fd. */
export type SendfileTemplate = Omit<Extract<Call, { op: 'sendfile' }>, 'fd' | 'inFd'> & { fd: FdRef; inFd: FdRef };

export type Template =
  | ToTemplate<Exclude<Call, { op: 'socketcall' | 'poll' | 'select' | 'sendfile' }>>
  | PollTemplate
  | SelectTemplate
  | SendfileTemplate
  | (Omit<Extract<Call, { op: 'socketcall' }>, 'call'> & { call?: InnerTemplate });

function socketFds(s: State): number[] {
  return liveFds(s).filter((fd) => { const k = s.objs[s.fds[fd]!.obj]?.kind; return k === 'socket' || k === 'unix'; });
}

function unixFds(s: State, readable: boolean): number[] {
  return liveFds(s).filter((fd) => { const o = s.objs[s.fds[fd]!.obj]; return o?.kind === 'unix' && (!readable || o.rq.length > 0); });
}

function busyUnixFds(s: State): number[] {
  const all = unixFds(s, false);
  const use = all.map((fd) => wmemOf(s, s.fds[fd]!.obj));
  const top = Math.max(0, ...use);
  return all.filter((_, i) => use[i] === top);
}

const ROLES: Record<Exclude<Role, 'unix' | 'unixReadable' | 'unixBusy'>, (o: Sock, s: State) => boolean> = {
  listener: (o) => o.proto === 'tcp' && o.st === 'LISTEN',
  idle: (o) => o.st === 'CLOSE' && o.port === 0,
  tcpIdle: (o) => o.proto === 'tcp' && o.st === 'CLOSE',
  connected: (o) => o.remote !== null,
  udp: (o) => o.proto === 'udp',
  tcpRecv: (o) => o.proto === 'tcp',
  tcpReadable: (o) => o.proto === 'tcp' && o.stream.length > 0,
  tcpSend: (o, s) => tcpSendable(s, o),
  tcpPeer: (o, s) => tcpSendable(s, o) && o.peer !== null && (o.st === 'ESTABLISHED' || o.st === 'CLOSE_WAIT'),
  tcpFile: (o, s) => tcpFileTarget(s, o),
  filePeer: (o, s) => (o.proto === 'udp' ? o.remote !== null && o.st === 'ESTABLISHED' : tcpFileTarget(s, o) && o.peer !== null && (o.st === 'ESTABLISHED' || o.st === 'CLOSE_WAIT')),
  // AF_VSOCK sockets are another kind of object: roleFds picks them itself.
  vsock: () => false,
};

/** The role a data role falls back to when no socket has it. */
const FALLBACK: Partial<Record<Role, Role>> = { tcpReadable: 'tcpRecv', tcpPeer: 'tcpSend', filePeer: 'tcpFile', unixReadable: 'unix', unixBusy: 'unix' };

function roleFds(s: State, role: Role): number[] {
  if (role === 'vsock') {
    const v = liveFds(s).filter((fd) => s.objs[s.fds[fd]!.obj]?.kind === 'vsock');
    if (v.length > 0) return v;
    const files = liveFds(s).filter((fd) => s.objs[s.fds[fd]!.obj]?.kind === 'file');
    return files.length > 0 ? files : [lowestFreeFd(s)];
  }
  const all = socketFds(s);
  const l = role === 'unixBusy' ? busyUnixFds(s) : role === 'unix' || role === 'unixReadable' ? unixFds(s, role === 'unixReadable')
    : all.filter((fd) => { const o = s.objs[s.fds[fd]!.obj]; return o?.kind === 'socket' && ROLES[role](o, s); });
  if (l.length === 0 && FALLBACK[role] !== undefined) return roleFds(s, FALLBACK[role]);
  if (role === 'udp' || role === 'tcpRecv' || role === 'tcpSend' || role === 'tcpFile' || role === 'unix') {
    if (l.length > 0) return l;
    const files = liveFds(s).filter((fd) => s.objs[s.fds[fd]!.obj]?.kind === 'file');
    return files.length > 0 ? files : [lowestFreeFd(s)];
  }
  return l.length > 0 ? l : all;
}

function listenerFds(s: State): number[] {
  return roleFds(s, 'listener');
}

function resolveFd(s: State, r: FdRef): number {
  if ('raw' in r) return r.raw;
  const [list, k] = 'live' in r ? [liveFds(s), r.live] : 'sock' in r ? [socketFds(s), r.sock] : 'role' in r ? [roleFds(s, r.role), r.k] : [listenerFds(s), r.listener];
  if (list.length === 0) return 'live' in r ? 0 : 3;
  return list[k % list.length]!;
}

function nameOf(s: State, ref: { of: number } | { listener: number } | { udp: number }): { addr: string; port: number } | undefined {
  const udp = (): number[] => socketFds(s).filter((fd) => (s.objs[s.fds[fd]!.obj] as Sock).proto === 'udp');
  const [fds, k] = 'of' in ref ? [socketFds(s), ref.of] : 'udp' in ref ? [udp(), ref.udp] : [listenerFds(s), ref.listener];
  if (fds.length === 0) return undefined;
  const o = s.objs[s.fds[fds[k % fds.length]!]!.obj];
  return o?.kind === 'socket' ? sockName(o) : undefined;
}

function resolveAddr(s: State, a: AddrInT, fd: number): Extract<Call, { op: 'bind' }>['addr'] {
  if (a.ptr !== 'ok') return a;
  if (a.vm !== undefined) {
    // A sockaddr_vm names a CID vsock_find_cid refuses on this machine (genvsock.ts): CID 1 or 2
    // becomes VMADDR_CID_HYPERVISOR (0) where the profile says a transport makes it local.
    const v = s.profile.vsock;
    const local = (a.vm.cid === VMADDR_CID_LOCAL && (v?.loopback ?? false)) || (a.vm.cid === VMADDR_CID_HOST && (v?.h2g ?? false));
    const vm = local ? { ...a.vm, cid: VMADDR_CID_HYPERVISOR } : a.vm;
    return { ptr: 'ok', len: a.len, family: a.family, addr: '0.0.0.0', port: typeof a.port === 'number' ? a.port : 0, vm };
  }
  // An AF_UNIX-family address names an abstract socket (sun_path[0], the port's high byte, is
  // 0): a filesystem name is never generated (binding one would create a file).
  const port = a.family === AF_UNIX ? 0 : typeof a.port === 'number' ? a.port : (nameOf(s, a.port)?.port ?? 5000);
  let addr = typeof a.addr === 'string' ? a.addr : (nameOf(s, a.addr)?.addr ?? '127.0.0.1');
  if (typeof a.addr !== 'string' && (addr === '0.0.0.0' || addr === '::')) addr = addr === '::' ? '::1' : '127.0.0.1';
  const extra = { ...(a.flowinfo !== undefined ? { flowinfo: a.flowinfo } : {}), ...(a.scope_id !== undefined ? { scope_id: a.scope_id } : {}) };
  if (a.pick === undefined) return { ptr: 'ok', len: a.len, family: a.family, addr, port, ...extra };
  const e = fd >= 0 ? s.fds[fd] : undefined;
  const o = e === undefined ? undefined : s.objs[e.obj];
  if (o?.kind === 'socket' && o.family === 'inet6') {
    const v6 = addr.includes(':') ? addr
      : addr === '0.0.0.0' ? (a.pick % 2 === 0 ? '::' : '::ffff:0.0.0.0')
        : addr === '127.0.0.1' ? (a.pick % 2 === 0 ? '::1' : '::ffff:127.0.0.1') : `::ffff:${addr}`;
    const len = a.len === SOCKADDR_IN_LEN ? (a.pick === 7 ? SIN6_LEN_RFC2133 : SOCKADDR_IN6_LEN) : a.len;
    return { ptr: 'ok', len, family: a.family === AF_INET ? AF_INET6 : a.family, addr: v6, port, ...extra };
  }
  if (addr.includes(':')) {
    const v4 = addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr === '::' ? '0.0.0.0' : addr === '::1' ? '127.0.0.1' : undefined;
    if (v4 !== undefined) addr = v4;
    else return { ptr: 'ok', len: SOCKADDR_IN6_LEN, family: AF_INET6, addr, port, ...extra };
  }
  return { ptr: 'ok', len: a.len, family: a.family, addr, port, ...extra };
}

/** The concrete call a template stands for in world `s`. */
export function resolve(s: State, t: Template): Call {
  if (t.op === 'socketcall') {
    if (t.call === undefined) return { op: 'socketcall', num: t.num, args: t.args, ...(t.readable !== undefined ? { readable: t.readable } : {}) };
    return { op: 'socketcall', num: t.num, args: t.args, ...(t.readable !== undefined ? { readable: t.readable } : {}), call: resolveInner(s, t.call) };
  }
  return resolveInner(s, t);
}

function resolveSet(s: State, x: FdSetT): FdSet {
  if (x.ptr !== 'ok') return x;
  const fds = [...new Set(x.fds.map((r) => resolveFd(s, r)).filter((fd) => fd >= 0 && fd < FDSET_LIMIT))].sort((a, b) => a - b);
  return { ptr: 'ok', fds };
}

function resolveInner<T extends Exclude<Template, { op: 'socketcall' }>>(s: State, t: T): T extends InnerTemplate ? SocketcallInner : Call;
function resolveInner(s: State, t: Exclude<Template, { op: 'socketcall' }>): Call {
  switch (t.op) {
    case 'socketpair': return t;
    // A vsock datagram socket is not modelled where a transport offers one: ask for a stream instead.
    case 'socket': return t.domain === AF_VSOCK && (t.type & SOCK_TYPE_MASK) === SOCK_DGRAM && s.profile.vsock?.dgram ? { ...t, type: (t.type & ~SOCK_TYPE_MASK) | SOCK_STREAM } : t;
    case 'bind': case 'connect': { const fd = resolveFd(s, t.fd); return { op: t.op, fd, addr: resolveAddr(s, t.addr, fd) }; }
    case 'listen': {
      // Never a listener whose icsk_af_ops is ipv6_mapped (model/core/inet_sock.ts afMapped): its
      // IPv6 children would transmit down the IPv4 path, which the model does not follow.
      // Such a draw listens on fd 0 (/dev/null, ENOTSOCK) instead.
      const fd = resolveFd(s, t.fd);
      const e = fd >= 0 ? s.fds[fd] : undefined;
      const o = e === undefined ? undefined : s.objs[e.obj];
      return { ...t, fd: o?.kind === 'socket' && o.afMapped ? 0 : fd };
    }
    case 'accept': case 'getsockname': case 'getpeername': return { ...t, fd: resolveFd(s, t.fd) };
    case 'accept4': return { ...t, fd: resolveFd(s, t.fd) };
    case 'close': return { op: 'close', fd: resolveFd(s, t.fd) };
    case 'fcntl': return { ...t, fd: resolveFd(s, t.fd) };
    case 'setsockopt': return { ...t, fd: resolveFd(s, t.fd) };
    case 'shutdown': return { ...t, fd: resolveFd(s, t.fd) };
    case 'getsockopt': return { ...t, fd: resolveFd(s, t.fd) };
    case 'mmap': return { ...t, fd: resolveFd(s, t.fd) };
    case 'poll': {
      const entries = t.entries.map((e) => ({ fd: resolveFd(s, e.fd), events: e.events }));
      return { op: 'poll', fds: t.fds, entries, nfds: t.nfds ?? entries.length, timeout: t.timeout };
    }
    case 'send': case 'recv': case 'recvfrom': case 'recvmsg': return { ...t, fd: resolveFd(s, t.fd) };
    case 'sendmsg': {
      const m = t.msg;
      const fd = resolveFd(s, t.fd);
      return { ...t, fd, msg: m.ptr === 'ok' ? { ...m, name: resolveAddr(s, m.name, fd) } : m };
    }
    case 'sendto': { const fd = resolveFd(s, t.fd); return { ...t, fd, addr: resolveAddr(s, t.addr, fd) }; }
    case 'sendfile': {
      // Into an AF_INET6 UDP socket, a sendfile that would reach the end of the file before
      // its count leaves the datagram corked (model/socket/sendfile.ts; not modelled): such a draw
      // asks for exactly the bytes left instead.
      const fd = resolveFd(s, t.fd);
      const inFd = resolveFd(s, t.inFd);
      const out = fd >= 0 && s.fds[fd] !== undefined ? s.objs[s.fds[fd]!.obj] : undefined;
      const src = inFd >= 0 && s.fds[inFd] !== undefined ? s.objs[s.fds[inFd]!.obj] : undefined;
      // Into an AF_UNIX stream socket on a kernel of variant unix-stream-sendfile=sendpage (6.1),
      // whose sendpage path the model refuses: a draw asks for 0 bytes there.
      if (out?.kind === 'unix' && out.type === 'stream' && variantOf(s.profile.variants, 'unix-stream-sendfile') === 'sendpage') {
        return { ...t, fd, inFd, count: 0 };
      }
      if (out?.kind === 'socket' && out.proto === 'udp' && out.family === 'inet6' && src?.kind === 'file' && src.what === 'regular') {
        const pos = t.offset.ptr === 'ok' ? t.offset.value : src.pos;
        const left = FILE_SIZE - pos;
        if (pos >= 0 && left > 0 && t.count > left) return { ...t, fd, inFd, count: left };
      }
      return { ...t, fd, inFd };
    }
    case 'select': {
      const read = resolveSet(s, t.read), write = resolveSet(s, t.write), except = resolveSet(s, t.except);
      const top = Math.max(-1, ...[read, write, except].flatMap((x) => (x.ptr === 'ok' ? x.fds : [])));
      return { op: 'select', nfds: t.nfds ?? top + 1, read, write, except, timeout: t.timeout };
    }
  }
}
