/**
 * Per-rule scenarios for SO_LINGER (model/core/sock.ts, ipv4/ip_getsockopt.ts, ipv4/af_inet.ts via
 * ipv4/tcp.ts lingerResets).
 */
import type { Call } from '../../../spec/call.js';
import { SOL_SOCKET, SO_LINGER } from '../../../spec/constants.js';
import { accept, bind, close, connect, getsockopt, inet, listen, tcp, udp } from '../helpers.js';
import type { Scenario } from '../scenario.js';

const linger = (fd: number, onoff: number, secs: number, optlen = 8): Call => ({ op: 'setsockopt', fd, level: SOL_SOCKET, name: SO_LINGER, value: onoff, linger: secs, optlen });
const to5000 = inet('127.0.0.1', 5000);

export const SCENARIOS: Record<string, Scenario> = {
  'setsockopt/SO_LINGER': { calls: [udp(), linger(4, 1, 3)] },
  'setsockopt/EINVAL-linger': { calls: [tcp(), linger(4, 1, 0, 7)] },
  'getsockopt/SO_LINGER': { calls: [tcp(), linger(4, 5, 7), linger(4, 0, 2), getsockopt(4, SO_LINGER, { opt: { ptr: 'ok', lenPtr: 'ok', len: 6 } })] },
  'close/tcp-linger-reset': { calls: [tcp(), bind(4, to5000), listen(4), tcp(), connect(5, to5000), accept(4), linger(5, 1, 0), close(5)] },
};
