/**
 * Per-rule scenarios for port sharing through SO_REUSEPORT (model/ipv4/inet_connection_sock.ts): bind and
 * listen on a port another socket holds, the TCP bind bucket's stale fast path and UDP's
 * walk that stops at the first sharer.
 */
import { SO_REUSEPORT } from '../../../spec/constants.js';
import { bind, inet, listen, setsockopt, tcp, udp } from '../helpers.js';
import type { Scenario } from '../scenario.js';

const at = (addr: string) => inet(addr, 5000);
const rp = (fd: number, on = 1) => setsockopt(fd, SO_REUSEPORT, on);

export const SCENARIOS: Record<string, Scenario> = {
  // Both set SO_REUSEPORT: inet_bind_conflict lets the second one share 127.0.0.1:5000.
  'bind/port-reuseport': { calls: [tcp(), rp(4), bind(4, at('127.0.0.1')), tcp(), rp(5), bind(5, at('127.0.0.1'))] },
  // fd 4 clears SO_REUSEPORT after its bind; the bucket still says FASTREUSEPORT_STRICT for
  // 127.0.0.1, so sk_reuseport_match skips the check that fd 4 would fail.
  'bind/port-reuseport-stale': { calls: [tcp(), rp(4), bind(4, at('127.0.0.1')), rp(4, 0), tcp(), rp(5), bind(5, at('127.0.0.1'))] },
  // udp_lib_lport_inuse meets fd 5 (newest, a sharer) first and stops: fd 4, bound
  // without SO_REUSEPORT to an address the wildcard overlaps, is never looked at.
  'bind/port-reuseport-first': { variant: { 'udp-reuseport-walk': 'first-sharer' }, calls: [udp(), bind(4, at('127.0.0.1')), udp(), rp(5), bind(5, at('127.0.0.2')), udp(), rp(6), bind(6, at('0.0.0.0'))] },
  // Two listeners on one address and port: a reuseport group.
  'listen/bound-reuseport': { calls: [tcp(), rp(4), bind(4, at('127.0.0.1')), listen(4), tcp(), rp(5), bind(5, at('127.0.0.1')), listen(5)] },
  // fd 5 clears SO_REUSEPORT after both bound; fd 4's listen takes the bucket's fast path.
  'listen/bound-reuseport-stale': { calls: [tcp(), rp(4), bind(4, at('127.0.0.1')), tcp(), rp(5), bind(5, at('127.0.0.1')), rp(5, 0), listen(4)] },
};
