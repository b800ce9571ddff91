/**
 * shutdown(2) on AF_INET sockets: __sys_shutdown (sockfd_lookup_light: EBADF, ENOTSOCK)
 * → inet_shutdown (how check, SS_CONNECTING fix-up, then by sk_state) → tcp_shutdown
 * (FIN when the send side closes). UDP has no ->shutdown: only the checks and ENOTCONN.
 */
import { produce } from 'immer';
import type { Call } from '../../spec/call.js';
import { lookupSock } from './fd.js';
import { unixAt } from '../unix/af_unix.js';
import { unixShutdown } from '../unix/unix_ops.js';
import { fail, ok, type Outcome } from '../core/outcome.js';
import { RCV_SHUTDOWN as RCV, SEND_SHUTDOWN as SEND, type Sock, type State } from '../core/state.js';
import { disconnect, sendFin } from '../ipv4/tcp.js';

export const SHUTDOWN_RULES = [
  'shutdown/EBADF', 'shutdown/ENOTSOCK', 'shutdown/EINVAL-how', 'shutdown/ENOTCONN', 'shutdown/listener-write',
  'shutdown/listener-stop', 'shutdown/syn-sent', 'shutdown/read', 'shutdown/fin', 'shutdown/other',
] as const;

type ShutdownCall = Extract<Call, { op: 'shutdown' }>;

export function shutdownStep(s: State, c: ShutdownCall): Outcome[] {
  const ux = unixAt(s, c.fd);
  if (ux) return unixShutdown(s, ux.id, ux.u, c.how); // AF_UNIX (model/unix*.ts): unix_shutdown
  const l = lookupSock(s, c.fd);
  if (l.errno) return [fail(s, `shutdown/${l.errno}`, l.errno)];
  const { id, sock } = l;
  // "how++; if ((how & ~SHUTDOWN_MASK) || !how) return -EINVAL;" (MAXINT → 0).
  const how = (c.how + 1) | 0;
  if ((how & ~3) !== 0 || how === 0) return [fail(s, 'shutdown/EINVAL-how', 'EINVAL')];
  // SS_CONNECTING: SYN_SENT/SYN_RECV/CLOSE → SS_DISCONNECTING, anything else → SS_CONNECTED.
  const fixed = (d: State): Sock => {
    const x = d.objs[id] as Sock;
    if (x.ss === 'CONNECTING') x.ss = x.st === 'SYN_SENT' || x.st === 'CLOSE' ? 'DISCONNECTING' : 'CONNECTED';
    return x;
  };
  /** The default arm (and TCP_CLOSE, which falls into it): sk_shutdown |= how. */
  const marked = (d: State): Sock => { const x = fixed(d); x.shut |= how; return x; };
  const st = sock.st;
  if (st === 'CLOSE') {
    // "case TCP_CLOSE: err = -ENOTCONN; fallthrough;" (the shutdown bits are still set).
    const next = produce(s, (d) => { marked(d); });
    return [{ rule: 'shutdown/ENOTCONN', expect: { kind: 'returned', ret: -1, errno: 'ENOTCONN' }, next: () => next }];
  }
  if (st === 'LISTEN') {
    if (!(how & RCV)) return [ok('shutdown/listener-write', 0, () => produce(s, (d) => { fixed(d); }))];
    // fallthrough to the SYN_SENT case: disconnect (inet_csk_listen_stop), SS_UNCONNECTED.
    const next = produce(s, (d) => { fixed(d); disconnect(d, id); (d.objs[id] as Sock).ss = 'UNCONNECTED'; });
    return [ok('shutdown/listener-stop', 0, () => next)];
  }
  if (st === 'SYN_SENT') {
    const next = produce(s, (d) => { fixed(d); disconnect(d, id); (d.objs[id] as Sock).ss = 'UNCONNECTED'; });
    return [ok('shutdown/syn-sent', 0, () => next)];
  }
  // default: sk_shutdown |= how; tcp_shutdown sends FIN from ESTABLISHED/CLOSE_WAIT.
  if (sock.proto === 'tcp' && (how & SEND) && (st === 'ESTABLISHED' || st === 'CLOSE_WAIT')) {
    const next = produce(s, (d) => { marked(d); sendFin(d, id); });
    return [ok('shutdown/fin', 0, () => next)];
  }
  const rule = how & SEND ? 'shutdown/other' : 'shutdown/read';
  return [ok(rule, 0, () => produce(s, (d) => { marked(d); }))];
}
