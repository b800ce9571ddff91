/** fcntl commands and file-status bits (include/uapi/asm-generic/fcntl.h, x86_64). */
export { F_GETFD, F_SETFD, F_GETFL, F_SETFL, FD_CLOEXEC, O_NONBLOCK } from '../../spec/constants.js';
export const O_APPEND_BIT = 0o2000;
export const O_ASYNC = 0o20000;
export const O_DIRECT = 0o40000;
export const O_NOATIME = 0o1000000;
