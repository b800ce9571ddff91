/**
 * Every rule id the model can name, grouped by syscall. These are stable public names:
 * they appear in traces, coverage reports and expectation files; retired ids are never
 * reused.
 */
import { ACCEPT_RULES } from './socket/accept.js';
import { BIND_RULES } from './socket/bind.js';
import { CLOSE_RULES } from './socket/close.js';
import { FCNTL_RULES } from './socket/fcntl.js';
import { GETNAME_RULES } from './socket/getname.js';
import { GETSOCKOPT_RULES } from './ipv4/ip_getsockopt.js';
import { INTERNAL_RULES } from './ipv4/tcp_timer.js';
import { LISTEN_RULES } from './socket/listen.js';
import { SETSOCKOPT_RULES } from './ipv4/ip_setsockopt.js';
import { SHUTDOWN_RULES } from './socket/shutdown.js';
import { SOCKET_RULES } from './socket/socket.js';
import { SOCKETCALL_RULES } from './socket/socketcall.js';
import { MMAP_RULES } from './socket/mmap.js';
import { POLL_RULES } from './socket/poll.js';
import { SELECT_RULES } from './socket/select.js';
import { SEND_RULES } from './ipv4/udp_sendmsg.js';
import { RECV_RULES } from './ipv4/udp_recvmsg.js';
import { MSG_RULES } from './socket/msg.js';
import { SOCKETPAIR_RULES } from './socket/socketpair.js';
import { UNIX_RULES } from './unix/unix_ops.js';
import { UNIX_OPT_RULES } from './unix/unix_sockopt.js';
import { UNIX_DATA_RULES } from './unix/unix_sendrecv.js';
import { UNIX_WAIT_RULES } from './unix/unix_wait.js';
import { VSOCK_RULES } from './vsock/af_vsock.js';
import { SENDFILE_RULES } from './socket/sendfile.js';
import { CONNECT_RULES } from './socket/connect.js';

export const RULES: readonly string[] = [
  ...SOCKET_RULES,
  ...BIND_RULES,
  ...LISTEN_RULES,
  ...ACCEPT_RULES,
  ...CONNECT_RULES,
  ...GETNAME_RULES,
  ...CLOSE_RULES,
  ...FCNTL_RULES,
  ...SETSOCKOPT_RULES,
  ...GETSOCKOPT_RULES,
  ...SHUTDOWN_RULES,
  ...SOCKETCALL_RULES,
  ...MMAP_RULES,
  ...INTERNAL_RULES,
  ...POLL_RULES,
  ...SELECT_RULES,
  ...SEND_RULES,
  ...RECV_RULES,
  ...MSG_RULES,
  ...SENDFILE_RULES,
  ...SOCKETPAIR_RULES,
  ...UNIX_RULES,
  ...UNIX_OPT_RULES,
  ...UNIX_DATA_RULES,
  ...UNIX_WAIT_RULES,
  ...VSOCK_RULES,
];
