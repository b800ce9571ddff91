/**
 * Random calls on AF_VSOCK sockets (model/vsock/af_vsock.ts). Only what is certain not to leave the
 * machine: vsock is not network-namespaced, so no bind may succeed (every sockaddr_vm names
 * VMADDR_CID_HYPERVISOR, VMADDR_CID_LOCAL or VMADDR_CID_HOST, which template.ts turns into
 * a CID vsock_find_cid refuses where the profile says otherwise) and no connect may carry an
 * address vsock_addr_cast accepts (another family, a short length, or an unknown svm_flags
 * bit). The accept EAGAIN of an empty non-blocking queue needs a bound listener, so it is
 * never reached (harness/families.ts says so in the run summary).
 */
import fc from 'fast-check';
import type { AddrOut, Op, OptOut } from '../spec/call.js';
import {
  AF_INET, AF_UNSPEC, AF_VSOCK, IPPROTO_TCP, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, POLLIN, POLLOUT, POLLRDHUP,
  SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_PACKET, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_STREAM, SOL_SOCKET,
  SO_ACCEPTCONN, SO_DOMAIN, SO_ERROR, SO_PROTOCOL, SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_TYPE, TCP_NODELAY,
  VMADDR_CID_HOST, VMADDR_CID_HYPERVISOR, VMADDR_CID_LOCAL, VMADDR_PORT_ANY,
} from '../spec/constants.js';
import type { AddrInT, FdRef, Template } from './template.js';

/** Picks from `valid` or, with probability `p`, from `invalid`. */
function either<T>(p: number, valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>): fc.Arbitrary<T> {
  const w = Math.round(p * 100);
  if (w <= 0) return valid;
  return fc.oneof({ arbitrary: valid, weight: 100 - w }, { arbitrary: invalid, weight: w });
}

/** socket(AF_VSOCK, ...): stream and seqpacket sockets mostly; datagram (ENODEV without a transport), other types and protocols as invalid draws. */
export function vsockSocketArb(p: number): fc.Arbitrary<Template> {
  const flags = fc.constantFrom(0, 0, SOCK_NONBLOCK, SOCK_CLOEXEC);
  const valid = fc.record({
    op: fc.constant('socket' as const), domain: fc.constant(AF_VSOCK),
    type: fc.tuple(fc.constantFrom(SOCK_STREAM, SOCK_SEQPACKET), flags).map(([t, f]) => t | f),
    protocol: fc.constantFrom(0, 0, 0, AF_VSOCK),
  });
  const invalid = fc.oneof(
    fc.record({ op: fc.constant('socket' as const), domain: fc.constant(AF_VSOCK), type: fc.constantFrom(SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_PACKET, 0), protocol: fc.constant(0) }),
    fc.record({ op: fc.constant('socket' as const), domain: fc.constant(AF_VSOCK), type: fc.constantFrom(SOCK_STREAM, SOCK_DGRAM, SOCK_RAW), protocol: fc.constantFrom(-1, IPPROTO_TCP, 41) }),
  );
  return either<Template>(p, valid, invalid);
}

/** The vsock calls with their weights (the generator adds them to its table). */
export function vsockEntries(p: number): { op: Op; arbitrary: fc.Arbitrary<Template>; weight: number }[] {
  const k = fc.nat({ max: 7 });
  // Never another socket: these arguments (MSG_OOB, sockaddr_vm) are only in scope on vsock.
  const fd: fc.Arbitrary<FdRef> = either<FdRef>(p / 2, k.map((i): FdRef => ({ role: 'vsock', k: i })), fc.constantFrom<FdRef>({ raw: -1 }, { raw: 2147483647 }));
  const dataFd = fd;
  const vm = (len: number, cid: number, port: number, flags = 0): AddrInT => ({ ptr: 'ok', len, family: AF_VSOCK, addr: '0.0.0.0', port, vm: { cid, flags } });
  const cid = fc.constantFrom(VMADDR_CID_HYPERVISOR, VMADDR_CID_LOCAL, VMADDR_CID_LOCAL, VMADDR_CID_HOST);
  const vport = fc.constantFrom(1234, 1234, 80, VMADDR_PORT_ANY);
  /** Addresses vsock_addr_cast refuses: short, another family (a sockaddr_in), an unknown flag. */
  const refused: fc.Arbitrary<AddrInT> = fc.oneof(
    fc.tuple(cid, vport, fc.constantFrom(0, 8, 15)).map(([c, pt, len]) => vm(len, c, pt)),
    fc.tuple(cid, vport, fc.constantFrom(2, 0x80)).map(([c, pt, f]) => vm(16, c, pt, f)),
    fc.constantFrom<AddrInT>({ ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port: 5000 }, { ptr: 'ok', len: 16, family: AF_UNSPEC, addr: '0.0.0.0', port: 0 }),
  );
  const badPtr = fc.constantFrom<AddrInT>({ ptr: 'bad', len: 16 }, { ptr: 'null', len: 16 }, { ptr: 'ok', len: 129, family: AF_VSOCK, addr: '0.0.0.0', port: 0, vm: { cid: 0, flags: 0 } });
  const bindAddr = either<AddrInT>(p, fc.tuple(cid, vport, fc.constantFrom(16, 16, 128)).map(([c, pt, len]) => vm(len, c, pt)), fc.oneof(refused, badPtr));
  const connAddr = either<AddrInT>(p, refused, badPtr);
  const out = either<AddrOut>(p, fc.constantFrom<AddrOut>({ ptr: 'ok', lenPtr: 'ok', len: 16 }, { ptr: 'ok', lenPtr: 'ok', len: 128 }),
    fc.record({ ptr: fc.constantFrom('ok' as const, 'bad' as const), lenPtr: fc.constantFrom('ok' as const, 'bad' as const), len: fc.constantFrom(-1, 0, 4, 15) }));
  const opt: OptOut = { ptr: 'ok', lenPtr: 'ok', len: 4 };
  const getName = fc.constantFrom(...[SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_ERROR, SO_RCVBUF].map((n) => [SOL_SOCKET, n] as const), [IPPROTO_TCP, TCP_NODELAY] as const);
  const setOpt = fc.constantFrom([SOL_SOCKET, SO_REUSEPORT, 1] as const, [SOL_SOCKET, SO_REUSEPORT, 0] as const, [SOL_SOCKET, SO_REUSEADDR, 1] as const, [SOL_SOCKET, SO_RCVBUF, 5000] as const, [IPPROTO_TCP, TCP_NODELAY, 1] as const);
  const msgFlags = either(p, fc.constantFrom(0, MSG_DONTWAIT, MSG_NOSIGNAL), fc.constant(MSG_OOB | MSG_NOSIGNAL));
  const recvFlags = fc.constantFrom(0, MSG_DONTWAIT, MSG_PEEK, MSG_OOB);
  const sendtoAddr = fc.oneof(fc.constant<AddrInT>({ ptr: 'null', len: 0 }), fc.tuple(cid, vport).map(([c, pt]) => vm(16, c, pt)));
  return [
    { op: 'socket', arbitrary: vsockSocketArb(p), weight: 3 },
    { op: 'bind', arbitrary: fc.record({ op: fc.constant('bind' as const), fd, addr: bindAddr }), weight: 2 },
    { op: 'connect', arbitrary: fc.record({ op: fc.constant('connect' as const), fd, addr: connAddr }), weight: 1 },
    { op: 'listen', arbitrary: fc.record({ op: fc.constant('listen' as const), fd, backlog: fc.constantFrom(0, 5) }), weight: 1 },
    { op: 'accept', arbitrary: fc.record({ op: fc.constant('accept' as const), fd, out }), weight: 1 },
    { op: 'accept4', arbitrary: fc.record({ op: fc.constant('accept4' as const), fd, out, flags: fc.constantFrom(0, SOCK_NONBLOCK) }), weight: 1 },
    { op: 'getsockname', arbitrary: fc.record({ op: fc.constantFrom('getsockname' as const, 'getpeername' as const), fd, out }), weight: 2 },
    { op: 'shutdown', arbitrary: fc.record({ op: fc.constant('shutdown' as const), fd, how: either(p, fc.constantFrom(0, 1, 2), fc.constant(3)) }), weight: 1 },
    { op: 'getsockopt', arbitrary: fc.record({ op: fc.constant('getsockopt' as const), fd, ln: getName, opt: fc.constant(opt) }).map(({ ln, ...r }): Template => ({ ...r, level: ln[0], name: ln[1] })), weight: 2 },
    { op: 'setsockopt', arbitrary: fc.record({ op: fc.constant('setsockopt' as const), fd, lnv: setOpt }).map(({ lnv, ...r }): Template => ({ ...r, level: lnv[0], name: lnv[1], value: lnv[2], optlen: 4 })), weight: 1 },
    { op: 'send', arbitrary: fc.record({ op: fc.constant('send' as const), fd: dataFd, data: fc.constantFrom('', '6869'), flags: msgFlags }), weight: 1 },
    { op: 'sendto', arbitrary: fc.record({ op: fc.constant('sendto' as const), fd: dataFd, data: fc.constant('6869'), flags: msgFlags, addr: sendtoAddr }), weight: 1 },
    { op: 'recv', arbitrary: fc.record({ op: fc.constantFrom('recv' as const), fd: dataFd, len: fc.constantFrom(0, 16), flags: recvFlags }), weight: 1 },
    { op: 'recvfrom', arbitrary: fc.record({ op: fc.constant('recvfrom' as const), fd: dataFd, len: fc.constant(16), flags: recvFlags, out }), weight: 1 },
    { op: 'poll', arbitrary: fc.record({ op: fc.constant('poll' as const), fds: fc.constant('ok' as const), entries: fc.array(fc.record({ fd, events: fc.constantFrom(POLLIN | POLLOUT, POLLIN | POLLOUT | POLLRDHUP, POLLIN) }), { minLength: 1, maxLength: 2 }), timeout: fc.constant(0) }), weight: 1 },
    { op: 'mmap', arbitrary: fc.record({ op: fc.constant('mmap' as const), fd, len: fc.constant(4096), prot: fc.constantFrom(1, 3), flags: fc.constantFrom(0x01, 0x02), offset: fc.constant(0) }), weight: 1 },
    { op: 'close', arbitrary: fc.record({ op: fc.constant('close' as const), fd }), weight: 1 },
  ];
}
