/** The reference model of the Linux socket layer: public surface. */
export { step } from './step.js';
export { initialState, liveFds, type State, type Sock, type Obj } from './state.js';
export type { Outcome } from './outcome.js';
export { RULES } from './rules.js';
export { internal, hasInternal, focusOf, type Transition } from './internal.js';
