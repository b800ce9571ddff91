/**
 * MSG_OOB on TCP reads (model/ipv4/tcp_recvmsg.ts): tcp_recvmsg_locked goes to tcp_recv_urg after
 * its listener check, and with no urgent data received that is EINVAL, even on a socket
 * that was never connected (the kernel's answer, where ENOTCONN might be expected). Sockets
 * 4, 5, 6: listener, client, accepted server.
 */
import type { Call } from '../../../spec/call.js';
import { MSG_OOB } from '../../../spec/constants.js';
import { accept, bind, buf16, connect, inet, listen, tcp } from '../helpers.js';
import type { Scenario } from '../scenario.js';

const to5000 = inet('127.0.0.1', 5000);
const C: Call[] = [tcp(), bind(4, to5000), listen(4, 0), tcp(), connect(5, to5000), accept(4)];

export const SCENARIOS: Record<string, Scenario> = {
  'recv/tcp-EINVAL-oob': { calls: [...C, { op: 'send', fd: 5, data: '6869', flags: 0 }, { op: 'recv', fd: 6, len: 16, flags: MSG_OOB }] },
  'recvfrom/tcp-EINVAL-oob': { calls: [tcp(), { op: 'recvfrom', fd: 4, len: 16, flags: MSG_OOB, out: buf16 }] },
  'recvmsg/tcp-EINVAL-oob': {
    calls: [...C, {
      op: 'recvmsg', fd: 5, flags: MSG_OOB,
      msg: { ptr: 'ok', name: { ptr: 'ok', len: 16 }, iov: 'ok', iovs: [{ ptr: 'ok', len: 16 }], iovlen: 1, control: 'ok', controllen: 0, flags: 0 },
    }],
  },
};
