/**
 * shutdown(2) and what it leaves behind (model/ipv4/af_inet.ts, the FIN paths in model/ipv4/tcp.ts):
 * each sequence is checked on the model (the rules it names) and, where the linux adapter
 * can run, on the kernel (every answer allowed by the model, the same rules named).
 */
import { describe, expect, it } from 'vitest';
import type { Call } from '../../spec/call.js';
import { AF_UNSPEC, SOCK_NONBLOCK } from '../../spec/constants.js';
import { runSequence } from '../../harness/runner.js';
import { linuxAdapter, linuxAvailable } from '../../adapters/linux/index.js';
import { accept, bind, close, connect, getpeername, inet, listen, runModel, shutdown, tcp } from './helpers.js';

const SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;
const to5000 = inet('127.0.0.1', 5000);
const unspec = { ...inet('0.0.0.0', 0), family: AF_UNSPEC, len: 2 };
/** A listener on 127.0.0.1:5000 that was shut down (`how`) before listen(): sk_shutdown is set although the call says ENOTCONN. */
const shutListener = (how: number): Call[] => [tcp(), shutdown(4, how), bind(4, to5000), listen(4)];

interface Case { calls: Call[]; rules: string[]; errno?: { at: number; errno: string } }

const CASES: Record<string, Case> = {
  // sk_clone_lock copies sk_shutdown; the child's SYN_RECV arm of tcp_rcv_state_process
  // sends FIN, so the client is in CLOSE_WAIT when connect returns: its shutdown(SHUT_WR)
  // runs LAST_ACK to CLOSE at once, the peer address and the port go, and the queued
  // child, which met the client's FIN in FIN_WAIT2, is CLOSE when accepted.
  write_shut_listener_hands_out_children_that_send_FIN: {
    calls: [...shutListener(SHUT_WR), tcp(), connect(5, to5000), shutdown(5, SHUT_WR), getpeername(5), bind(5, inet('0.0.0.0', 6000)), accept(4), getpeername(6)],
    rules: ['socket/tcp', 'shutdown/ENOTCONN', 'bind/port', 'listen/bound', 'socket/tcp', 'connect/established',
      'shutdown/fin', 'getpeername/ENOTCONN', 'bind/port', 'accept/ok', 'getpeername/ENOTCONN'],
  },
  read_shut_listener_hands_out_ordinary_children: {
    calls: [...shutListener(SHUT_RD), tcp(), connect(5, to5000), shutdown(5, SHUT_WR), getpeername(5), bind(5, inet('0.0.0.0', 6000))],
    rules: ['socket/tcp', 'shutdown/ENOTCONN', 'bind/port', 'listen/bound', 'socket/tcp', 'connect/established', 'shutdown/fin', 'getpeername/ok', 'bind/EINVAL-bound'],
  },
  // The same client in CLOSE after LAST_ACK: SHUT_RD meets TCP_CLOSE (ENOTCONN).
  read_shut_after_last_ack_ENOTCONN: {
    calls: [...shutListener(SHUT_RDWR), tcp(), connect(5, to5000), shutdown(5, SHUT_WR), shutdown(5, SHUT_RD)],
    rules: ['socket/tcp', 'shutdown/ENOTCONN', 'bind/port', 'listen/bound', 'socket/tcp', 'connect/established', 'shutdown/fin', 'shutdown/ENOTCONN'],
  },
  // A non-blocking client of such a listener is in CLOSE_WAIT; the listener's SHUT_RD
  // resets the queued child (inet_csk_listen_stop), and tcp_reset in CLOSE_WAIT is EPIPE.
  listener_stop_resets_a_close_wait_client_EPIPE: {
    calls: [...shutListener(SHUT_WR), tcp(SOCK_NONBLOCK), connect(5, to5000), shutdown(4, SHUT_RD), connect(5, to5000)],
    rules: ['socket/tcp', 'shutdown/ENOTCONN', 'bind/port', 'listen/bound', 'socket/tcp', 'connect/EINPROGRESS', 'shutdown/listener-stop', 'connect/sock-error'],
    errno: { at: 7, errno: 'EPIPE' },
  },
  // After shutdown(SHUT_WR) the socket keeps its port and peer until it is closed; the
  // dead FIN_WAIT2 socket close leaves holds the port (bind conflicts with it).
  fin_wait2_keeps_peer_and_port_after_close: {
    calls: [tcp(), bind(4, to5000), listen(4), tcp(), bind(5, inet('127.0.0.1', 6000)), connect(5, to5000), shutdown(5, SHUT_WR), getpeername(5), close(5),
      tcp(), bind(5, inet('127.0.0.1', 6000))],
    rules: ['socket/tcp', 'bind/port', 'listen/bound', 'socket/tcp', 'bind/port', 'connect/established', 'shutdown/fin', 'getpeername/ok', 'close/tcp-fin-wait2',
      'socket/tcp', 'bind/EADDRINUSE'],
  },
  // tcp_disconnect (AF_UNSPEC) keeps sk_err; tcp_connect_init clears it, so the
  // self-connect that ends in TIME_WAIT reports ECONNABORTED (found at seed 43).
  connect_clears_the_error_a_refused_nonblocking_connect_left: {
    calls: [tcp(SOCK_NONBLOCK), connect(4, inet('127.0.0.1', 1)), connect(4, unspec), shutdown(4, SHUT_RDWR),
      bind(4, inet('0.0.0.0', 5000)), connect(4, to5000), connect(4, to5000)],
    rules: ['socket/tcp', 'connect/EINPROGRESS-refused', 'connect/tcp-unspec', 'shutdown/ENOTCONN', 'bind/port', 'connect/self-shutdown', 'connect/sock-error'],
    errno: { at: 6, errno: 'ECONNABORTED' },
  },
};

describe('shutdown sequences', () => {
  it.each(Object.entries(CASES))('model_%s', async (_, c) => {
    const r = await runModel(c.calls);
    expect(r.map((x) => x.rule)).toEqual(c.rules);
    if (c.errno) expect(r[c.errno.at]!.obs).toMatchObject({ ret: -1, errno: c.errno.errno });
  });

  const why = linuxAvailable();
  (why === undefined ? it.each(Object.entries(CASES)) : it.skip.each(Object.entries(CASES)))(`kernel_%s${why === undefined ? '' : ` (skipped: ${why})`}`, async (_, c) => {
    const session = await linuxAdapter.open({ deadlineMs: 50 });
    try {
      const r = await runSequence(session, c.calls);
      expect(r.error).toBeUndefined();
      expect(r.divergence).toBeUndefined();
      expect(r.steps.map((x) => x.rule)).toEqual(c.rules);
      if (c.errno) expect(r.steps[c.errno.at]!.observed).toMatchObject({ ret: -1, errno: c.errno.errno });
    } finally {
      await session.close();
    }
  });
});
