/**
 * Every rule id the model can name, grouped by syscall. These are stable public names:
 * they appear in traces, coverage reports and expectation files; retired ids are never
 * reused.
 */
import { ACCEPT_RULES } from './accept.js';
import { BIND_RULES } from './bind.js';
import { CLOSE_RULES } from './close.js';
import { CONNECT_RULES } from './connect.js';
import { FCNTL_RULES } from './fcntl.js';
import { GETNAME_RULES } from './getname.js';
import { GETSOCKOPT_RULES } from './getsockopt.js';
import { INTERNAL_RULES } from './internal.js';
import { LISTEN_RULES } from './listen.js';
import { SETSOCKOPT_RULES } from './setsockopt.js';
import { SHUTDOWN_RULES } from './shutdown.js';
import { SOCKET_RULES } from './socket.js';
import { SOCKETCALL_RULES } from './socketcall.js';
import { MMAP_RULES } from './mmap.js';
import { POLL_RULES } from './poll.js';
import { SELECT_RULES } from './select.js';
import { SEND_RULES } from './send.js';
import { RECV_RULES } from './recv.js';
import { MSG_RULES } from './msg.js';
import { SOCKETPAIR_RULES } from './unixpair.js';
import { UNIX_RULES } from './unixops.js';
import { UNIX_OPT_RULES } from './unixopts.js';
import { UNIX_DATA_RULES } from './unixdata.js';
import { UNIX_WAIT_RULES } from './unixwait.js';
import { VSOCK_RULES } from './vsock.js';
import { SENDFILE_RULES } from './sendfile.js';

export const RULES: readonly string[] = [
  ...SOCKET_RULES, ...BIND_RULES, ...LISTEN_RULES, ...ACCEPT_RULES, ...CONNECT_RULES,
  ...GETNAME_RULES, ...CLOSE_RULES, ...FCNTL_RULES, ...SETSOCKOPT_RULES, ...GETSOCKOPT_RULES, ...SHUTDOWN_RULES,
  ...SOCKETCALL_RULES, ...MMAP_RULES, ...INTERNAL_RULES, ...POLL_RULES, ...SELECT_RULES,
  ...SEND_RULES, ...RECV_RULES, ...MSG_RULES, ...SENDFILE_RULES,
  ...SOCKETPAIR_RULES, ...UNIX_RULES, ...UNIX_OPT_RULES, ...UNIX_DATA_RULES, ...UNIX_WAIT_RULES, ...VSOCK_RULES,
];
