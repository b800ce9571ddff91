/**
 * The reference model of the Linux socket layer: public surface. Everything outside model/
 * (harness, adapters/model, tests) imports from here, never from a file inside, so that
 * the model's own layout can follow the kernel tree without breaking its users.
 */
export { step } from './step.js';
export { initialState, liveFds, lowestFreeFd, type State, type Obj } from './core/state.js';
export { sockName, type Sock } from './core/inet_sock.js';
export type { Outcome } from './core/outcome.js';
export { valueHex } from './core/sock.js';
export { RULES } from './rules.js';
export { internal, hasInternal, focusOf, type Transition } from './ipv4/tcp_timer.js';
export { inHole } from './ipv4/inet_connection_sock.js';
export { wmemOf } from './unix/af_unix.js';
