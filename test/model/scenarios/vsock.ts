/**
 * Per-rule scenarios for AF_VSOCK (model/vsock/). Every sockaddr_vm names CID 0, 1 or
 * 2, which vsock_find_cid refuses on a virtio guest without the loopback or host-to-guest
 * transport (DEFAULT_PROFILE and this machine); no scenario binds, listens on a bound
 * socket or connects with an address vsock_addr_cast accepts.
 */
import type { AddrIn, Call } from '../../../spec/call.js';
import { AF_INET, AF_VSOCK, IPPROTO_TCP, MSG_OOB, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM, SO_REUSEPORT, TCP_NODELAY } from '../../../spec/constants.js';
import { buf16, getsockopt, setsockopt } from '../helpers.js';
import type { Scenario } from '../scenario.js';

const vsock = (type = SOCK_STREAM, protocol = 0): Call => ({ op: 'socket', domain: AF_VSOCK, type, protocol });
const vm = (cid: number, port = 1234, o: { len?: number; flags?: number } = {}): AddrIn => ({ ptr: 'ok', len: o.len ?? 16, family: AF_VSOCK, addr: '0.0.0.0', port, vm: { cid, flags: o.flags ?? 0 } });
const s = (...calls: Call[]): Scenario => ({ calls });

export const SCENARIOS: Record<string, Scenario> = {
  'socket/vsock-EPROTONOSUPPORT': s(vsock(SOCK_RAW, IPPROTO_TCP)),
  'socket/vsock-ESOCKTNOSUPPORT': s(vsock(SOCK_RAW)),
  'socket/vsock-ENODEV-dgram': s(vsock(SOCK_DGRAM)),
  'socket/vsock-stream': s(vsock(SOCK_STREAM, AF_VSOCK)),
  'socket/vsock-seqpacket': s(vsock(SOCK_SEQPACKET)),
  'close/vsock': s(vsock(), { op: 'close', fd: 4 }),
  'bind/vsock-EINVAL-addr': s(vsock(), { op: 'bind', fd: 4, addr: vm(1, 1234, { flags: 2 }) }),
  // VMADDR_CID_HOST: local only with a host-to-guest transport, which neither this machine nor the linux-vm guests have (CID 1 is local in a guest with vsock_loopback).
  'bind/vsock-EADDRNOTAVAIL': s(vsock(), { op: 'bind', fd: 4, addr: vm(2) }),
  'connect/vsock-EINVAL-addr': s(vsock(), { op: 'connect', fd: 4, addr: { ptr: 'ok', len: 16, family: AF_INET, addr: '127.0.0.1', port: 5000 } }),
  'listen/vsock-EINVAL-unbound': s(vsock(SOCK_SEQPACKET), { op: 'listen', fd: 4, backlog: 1 }),
  'accept/vsock-EINVAL-not-listening': s(vsock(), { op: 'accept', fd: 4, out: buf16 }),
  'accept4/vsock-EINVAL-not-listening': s(vsock(), { op: 'accept4', fd: 4, out: buf16, flags: 0 }),
  'getsockname/vsock': s(vsock(), { op: 'getsockname', fd: 4, out: buf16 }),
  'getpeername/vsock-ENOTCONN': s(vsock(), { op: 'getpeername', fd: 4, out: { ptr: 'bad', lenPtr: 'bad', len: 16 } }),
  'shutdown/vsock-ENOTCONN': s(vsock(), { op: 'shutdown', fd: 4, how: 2 }),
  'send/vsock-EOPNOTSUPP-oob': s(vsock(), { op: 'send', fd: 4, data: '6869', flags: MSG_OOB }),
  'send/vsock-ENOTCONN': s(vsock(SOCK_SEQPACKET), { op: 'send', fd: 4, data: '', flags: 0 }),
  'sendto/vsock-EOPNOTSUPP-oob': s(vsock(), { op: 'sendto', fd: 4, data: '6869', flags: MSG_OOB, addr: vm(2) }),
  'sendto/vsock-EOPNOTSUPP-addr': s(vsock(), { op: 'sendto', fd: 4, data: '6869', flags: 0, addr: vm(2) }),
  'sendto/vsock-ENOTCONN': s(vsock(), { op: 'sendto', fd: 4, data: '6869', flags: 0, addr: { ptr: 'null', len: 0 } }),
  'recv/vsock-ENOTCONN': s(vsock(), { op: 'recv', fd: 4, len: 16, flags: MSG_OOB }),
  'recvfrom/vsock-ENOTCONN': s(vsock(), { op: 'recvfrom', fd: 4, len: 16, flags: 0, out: buf16 }),
  'setsockopt/vsock-EOPNOTSUPP-reuseport': s(vsock(), setsockopt(4, SO_REUSEPORT, 1)),
  'setsockopt/vsock-ENOPROTOOPT-level': s(vsock(), setsockopt(4, TCP_NODELAY, 1, { level: IPPROTO_TCP, ptr: 'bad' })),
  'getsockopt/vsock-ENOPROTOOPT-level': s(vsock(), getsockopt(4, TCP_NODELAY, { level: IPPROTO_TCP, opt: { ptr: 'ok', lenPtr: 'null', len: 4 } })),
};
