/**
 * A trace as a self-contained C program (`cc repro.c -o repro && ./repro`) that replays
 * its calls on Linux in a private network namespace, from the same initial fd table, and
 * prints one line per call, `N: <call> <answer>`, in the form of the text report so the
 * two can be compared line by line. Pure: returns the source text.
 */
import { variantsText } from '../../spec/variants.js';
import { DATA_MAX, type AddrIn, type AddrOut, type Call, type OptOut, type Ptr } from '../../spec/call.js';
import { F_DUPFD, F_GETFD, F_GETFL, MSG_WAITALL, SOCKADDR_IN6_LEN, SOCKADDR_STORAGE_LEN } from '../../spec/constants.js';
import { isV6Text, sockaddrBytes, type SockaddrFields } from '../../spec/inet6.js';
import { renderCall } from './call.js';
import { REVENTS_UNTOUCHED } from '../../spec/observed.js';
import { F_DUPFD_CLOEXEC } from './names.js';
import { DEADLINE_US, cHelpers, cSetup, cString } from './cprelude.js';
import { FILE_FD, FILE_SIZE } from '../../spec/file.js';
import { renderExpected, renderObserved } from './result.js';
import { OPTVAL_SHOWN } from '../../spec/observed.js';
import type { Trace } from './trace.js';

/** Where the program's output goes, unless the trace itself uses that fd. */
const OUT_FD_BASE = 900;
/** poll's array is padded with {-1, 0} up to nfds when nfds is at most this. */
const POLL_PAD_MAX = 1024;

/** A C int expression for `n` (wrapped to 32 bits, as the syscall ABI would). */
function cInt(n: number): string {
  const v = n | 0;
  const lit = v === -2147483648 ? '(-2147483647 - 1)' : String(v);
  return v === n ? lit : `${lit} /* ${n} */`;
}

function cLen(n: number): string {
  return `(socklen_t)${cInt(n)}`;
}

function ptrExpr(p: Ptr, ok: string): string {
  return p === 'ok' ? ok : p === 'null' ? 'NULL' : 'BAD';
}

/** Declarations and the (pointer, length) arguments for an address going in. */
function addrIn(a: AddrIn): { decl: string; args: string } {
  if (a.ptr !== 'ok') return { decl: '', args: `${ptrExpr(a.ptr, '')}, ${cLen(a.len)}` };
  if (a.vm !== undefined) {
    const decl = `    struct sockaddr_storage ss;\n    fill_vm(&ss, ${a.family & 0xffff}, ${a.port >>> 0}u, ${a.vm.cid >>> 0}u, ${a.vm.flags & 0xff});\n`;
    return { decl, args: `(struct sockaddr *)&ss, ${cLen(a.len)}` };
  }
  if (isV6Text(a.addr)) return { decl: `    struct sockaddr_storage ss;
${sin6Decl(a, '&ss')}`, args: `(struct sockaddr *)&ss, ${cLen(a.len)}` };
  const ip = a.addr.split('.').map((x) => Number(x) & 0xff).join(', ');
  const decl = `    struct sockaddr_storage ss;\n    static const unsigned char ip[4] = {${ip}};\n` +
    `    fill_in(&ss, ${a.family & 0xffff}, ${a.port & 0xffff}, ip);\n`;
  return { decl, args: `(struct sockaddr *)&ss, ${cLen(a.len)}` };
}

/** A sockaddr_in6 (IPv6 address text) as the 28 bytes the adapter builds, copied into a zeroed sockaddr_storage at `dst`. */
function sin6Decl(a6: SockaddrFields, dst: string): string {
  const b = Array.from(sockaddrBytes(a6).subarray(0, SOCKADDR_IN6_LEN), (x) => `0x${x.toString(16).padStart(2, '0')}`).join(', ');
  return `    static const unsigned char sa[${SOCKADDR_IN6_LEN}] = {${b}};
    memset(${dst}, 0, sizeof(struct sockaddr_storage));
    memcpy(${dst}, sa, sizeof sa);
`;
}

/** Declarations and the (pointer, length pointer) arguments for an address coming out. */
function addrOut(o: AddrOut): { decl: string; args: string; after: string } {
  const decl = `    unsigned char buf[${SOCKADDR_STORAGE_LEN}];\n    socklen_t len = ${cLen(o.len)};\n` +
    '    memset(buf, 0xa5, sizeof buf);\n    (void)len; /* unused when the call passes NULL */\n';
  const shown = Math.min(Math.max(o.len, 0), SOCKADDR_STORAGE_LEN);
  let after = '';
  if (o.ptr === 'ok') after += `      fputs(" addr=", out);\n      put_buf(buf, ${shown});\n`;
  if (o.lenPtr === 'ok') after += '      fprintf(out, " len=%d", (int)len);\n';
  return { decl, args: `(struct sockaddr *)${ptrExpr(o.ptr, 'buf')}, ${ptrExpr(o.lenPtr, '&len')}`, after };
}

/** Declarations and the (pointer, length pointer) arguments for an option coming out. */
function optOut(o: OptOut): { decl: string; args: string; after: string } {
  // getsockopt's two pointers are restrict-qualified; gcc -Wrestrict flags two BAD
  // constants, so a faulting one goes through a volatile variable.
  const decl = `    unsigned char val[${OPTVAL_SHOWN}];\n    socklen_t len = ${cLen(o.len)};\n` +
    '    memset(val, 0xa5, sizeof val);\n' +
    (o.ptr === 'bad' ? '    void *volatile bad_val = BAD;\n' : '') +
    (o.lenPtr === 'bad' ? '    void *volatile bad_len = BAD;\n' : '');
  const shown = Math.min(Math.max(o.len, 0), OPTVAL_SHOWN);
  let after = '';
  if (o.ptr === 'ok') {
    after += `      fputs(" val=", out);\n      put_buf(val, ${shown});\n`;
    if (shown >= 4) after += '      if (r == 0) { int v; memcpy(&v, val, sizeof v); fprintf(out, " (%d)", v); }\n';
  }
  if (o.lenPtr === 'ok') after += '      fprintf(out, " len=%d", (int)len);\n';
  const p = o.ptr === 'bad' ? 'bad_val' : ptrExpr(o.ptr, 'val');
  const lp = o.lenPtr === 'bad' ? '(socklen_t *)bad_len' : ptrExpr(o.lenPtr, '&len');
  return { decl, args: `${p}, ${lp}`, after };
}

interface CallCode {
  decl: string;
  expr: string;
  mayBlock: boolean;
  /** Printed after the return value unless the call blocked. */
  after: string;
  /** Printed after the return value, blocked or not. */
  always: string;
  /** A MSG_WAITALL read of this many bytes: cut short by the deadline, it prints as blocked. */
  waitall?: number;
}

function callCode(c: Call): CallCode {
  const none = { decl: '', after: '', always: '', mayBlock: false };
  switch (c.op) {
    case 'socket':
      return { ...none, expr: `socket(${cInt(c.domain)}, ${cInt(c.type)}, ${cInt(c.protocol)})` };
    case 'bind':
    case 'connect': {
      const a = addrIn(c.addr);
      return { ...none, decl: a.decl, expr: `${c.op}(${cInt(c.fd)}, ${a.args})`, mayBlock: c.op === 'connect', always: `    put_bound(${cInt(c.fd)});\n` };
    }
    case 'listen':
      return { ...none, expr: `listen(${cInt(c.fd)}, ${cInt(c.backlog)})`, always: `    put_bound(${cInt(c.fd)});\n` };
    case 'accept':
    case 'accept4':
    case 'getsockname':
    case 'getpeername': {
      const o = addrOut(c.out);
      const flags = c.op === 'accept4' ? `, ${cInt(c.flags)}` : '';
      const mayBlock = c.op === 'accept' || c.op === 'accept4';
      return { ...none, decl: o.decl, expr: `${c.op}(${cInt(c.fd)}, ${o.args}${flags})`, mayBlock, after: o.after };
    }
    case 'close':
      return { ...none, expr: `close(${cInt(c.fd)})` };
    case 'fcntl':
      return { ...none, expr: `fcntl(${cInt(c.fd)}, ${cInt(c.cmd)}, ${c.arg}L)` };
    case 'setsockopt':
      return {
        ...none,
        decl: `    union { int i[2]; unsigned char pad[256]; } v;\n    memset(&v, 0, sizeof v);\n    v.i[0] = ${cInt(c.value)};\n    v.i[1] = ${cInt(c.linger ?? 0)};\n`,
        expr: `setsockopt(${cInt(c.fd)}, ${cInt(c.level)}, ${cInt(c.name)}, ${ptrExpr(c.ptr ?? 'ok', '&v')}, ${cLen(c.optlen)})`,
      };
    case 'getsockopt': {
      const o = optOut(c.opt);
      return { ...none, decl: o.decl, expr: `getsockopt(${cInt(c.fd)}, ${cInt(c.level)}, ${cInt(c.name)}, ${o.args})`, after: o.after };
    }
    case 'shutdown':
      return { ...none, expr: `shutdown(${cInt(c.fd)}, ${cInt(c.how)})` };
    case 'socketcall':
      return socketcallCode(c);
    case 'socketpair':
      // A NULL or faulting sv goes through a volatile variable: gcc would flag the constant.
      if (c.sv !== 'ok') {
        return {
          ...none, decl: `    void *volatile no_sv = ${ptrExpr(c.sv, '')};\n`,
          expr: `socketpair(${cInt(c.domain)}, ${cInt(c.type)}, ${cInt(c.protocol)}, (int *)no_sv)`,
        };
      }
      return {
        ...none, decl: '    int sv[2] = {-1, -1};\n',
        expr: `socketpair(${cInt(c.domain)}, ${cInt(c.type)}, ${cInt(c.protocol)}, sv)`,
        after: '      if (r == 0) fprintf(out, " sv=[%d, %d]", sv[0], sv[1]);\n',
      };
    case 'mmap':
      return { ...none, expr: `mmap_once(${cInt(c.fd)}, ${c.len}UL, ${cInt(c.prot)}, ${cInt(c.flags)}, ${c.offset}L)` };
    case 'poll':
      return pollCode(c);
    case 'select':
      return selectCode(c);
    case 'send':
    case 'sendto': {
      const n = c.data.length / 2;
      const bytes = n === 0 ? '0' : Array.from({ length: n }, (_, i) => `0x${c.data.slice(2 * i, 2 * i + 2)}`).join(', ');
      const decl = `    static const unsigned char d[${Math.max(n, 1)}] = {${bytes}};\n`;
      const always = `    put_bound(${cInt(c.fd)});\n`;
      // An AF_UNIX send may wait for room (sock_alloc_send_pskb, unix_wait_for_peer): under the timer.
      if (c.op === 'send') return { ...none, decl, always, mayBlock: true, expr: `send(${cInt(c.fd)}, d, ${n}, ${cInt(c.flags)})` };
      if (c.addr.ptr === 'null') return { ...none, decl, always, mayBlock: true, expr: `sendto(${cInt(c.fd)}, d, ${n}, ${cInt(c.flags)}, NULL, ${cLen(c.addr.len)})` };
      const a = addrIn(c.addr);
      return { ...none, decl: decl + a.decl, always, mayBlock: true, expr: `sendto(${cInt(c.fd)}, d, ${n}, ${cInt(c.flags)}, ${a.args})` };
    }
    case 'sendfile': {
      // syscall 40: sys_sendfile64 on x86_64 (a 64-bit offset), as glibc's sendfile.
      const o = c.offset;
      const decl = o.ptr === 'ok' ? `    long long off = ${o.value}LL;\n` : '';
      const after = o.ptr === 'ok' ? '      fprintf(out, " offset=%lld", off);\n' : '';
      const p = o.ptr === 'ok' ? '&off' : ptrExpr(o.ptr, '');
      return {
        ...none, decl, after, always: `    put_bound(${cInt(c.fd)});\n`, mayBlock: true,
        expr: `syscall(SYS_sendfile, ${cInt(c.fd)}, ${cInt(c.inFd)}, ${p}, (size_t)${c.count}LL)`,
      };
    }
    case 'recv':
    case 'recvfrom': {
      const decl = `    static unsigned char rb[${DATA_MAX}];\n    memset(rb, 0xa5, sizeof rb);\n`;
      const data = `      if (r >= 0) { fputs(" data=", out); put_hex(rb, (int)(r < ${c.len} ? r : ${c.len})); }\n`;
      const waitall = (c.flags & MSG_WAITALL) !== 0 ? { waitall: c.len } : {};
      if (c.op === 'recv') return { ...none, decl, mayBlock: true, after: data, expr: `recv(${cInt(c.fd)}, rb, ${c.len}, ${cInt(c.flags)})`, ...waitall };
      const o = addrOut(c.out);
      return { ...none, decl: decl + o.decl, mayBlock: true, after: o.after + data, expr: `recvfrom(${cInt(c.fd)}, rb, ${c.len}, ${cInt(c.flags)}, ${o.args})`, ...waitall };
    }
    case 'sendmsg':
    case 'recvmsg':
      return msgCode(c);
  }
}

/**
 * sendmsg/recvmsg: a native struct msghdr (its iovecs over one byte array, a zeroed control
 * buffer); through socketcall (`sc`) msg_call32 copies it into the compat layout below 4 GiB
 * and back. recvmsg prints msg_name, msg_namelen, the bytes, msg_flags and msg_controllen.
 */
function msgCode(c: Extract<Call, { op: 'sendmsg' | 'recvmsg' }>, sc?: { num: number; kind: number; readable: number }): CallCode {
  const none = { decl: '', after: '', always: '', mayBlock: false };
  const send = c.op === 'sendmsg';
  const call = (m: string): string => (sc
    ? `msg_call32(${sc.num}, ${sc.kind}, ${cInt(c.fd)}, ${m}, ${cInt(c.flags)}, ${sc.readable})`
    : `${c.op}(${cInt(c.fd)}, ${m}, ${cInt(c.flags)})`);
  const always = send ? `    put_bound(${cInt(c.fd)});\n` : '';
  const m = c.msg;
  if (m.ptr !== 'ok') return { ...none, always, mayBlock: !send, expr: call(m.ptr === 'null' ? 'NULL' : 'BAD') };
  const iovs = m.iovs;
  const lenOf = (v: (typeof iovs)[number]): number => (v.ptr === 'ok' ? ('data' in v ? v.data.length / 2 : v.len) : v.len);
  const bytes = m.iovs.map((v) => (v.ptr === 'ok' && 'data' in v ? v.data : '')).join('');
  const nb = bytes.length / 2;
  const slots = Math.max(1, iovs.length, m.iovlen <= 1024 ? m.iovlen : 0);
  let decl = send
    ? `    static unsigned char d[${Math.max(nb, 1)}] = {${nb === 0 ? '0' : Array.from({ length: nb }, (_, i) => `0x${bytes.slice(2 * i, 2 * i + 2)}`).join(', ')}};\n`
    : `    static unsigned char d[${DATA_MAX}];\n    unsigned char buf[${SOCKADDR_STORAGE_LEN}];\n    memset(d, 0xa5, sizeof d);\n    memset(buf, 0xa5, sizeof buf);\n`;
  decl += `    static struct iovec iov[${slots}];\n    struct msghdr m;\n    memset(iov, 0, sizeof iov);\n    memset(&m, 0, sizeof m);\n`;
  let off = 0;
  iovs.forEach((v, i) => {
    if (v.ptr === 'ok') { decl += `    iov[${i}].iov_base = d + ${off}; iov[${i}].iov_len = ${lenOf(v)};\n`; off += lenOf(v); } else decl += `    iov[${i}].iov_len = (size_t)(long)${cInt(v.len)};\n`;
  });
  let name = 'NULL';
  if (c.op === 'sendmsg' && c.msg.ptr === 'ok' && c.msg.name.ptr === 'ok') {
    const nm = c.msg.name;
    if (isV6Text(nm.addr)) decl += `    struct sockaddr_storage ss;\n${sin6Decl(nm, '&ss')}`;
    else {
      const ip = nm.addr.split('.').map((x) => Number(x) & 0xff).join(', ');
      decl += `    struct sockaddr_storage ss;\n    static const unsigned char ip[4] = {${ip}};\n    fill_in(&ss, ${nm.family & 0xffff}, ${nm.port & 0xffff}, ip);\n`;
    }
    name = '&ss';
  } else if (!send && m.name.ptr === 'ok') name = 'buf';
  decl += `    m.msg_name = ${ptrExpr(m.name.ptr, name)};\n    m.msg_namelen = ${cLen(m.name.len)};\n` +
    `    m.msg_iov = ${ptrExpr(m.iov, 'iov')};\n    m.msg_iovlen = ${m.iovlen}UL;\n` +
    `    m.msg_control = ${ptrExpr(m.control, 'zero_ctl')};\n    m.msg_controllen = ${m.controllen}UL;\n    m.msg_flags = ${cInt(m.flags)};\n`;
  // An AF_UNIX sendmsg may wait for room as a send does: under the timer.
  if (send) return { ...none, decl, always, mayBlock: true, expr: call('&m') };
  const total = m.iovs.slice(0, m.iovlen).reduce((n, v) => n + (v.ptr === 'ok' ? lenOf(v) : 0), 0);
  let after = '';
  if (m.name.ptr === 'ok') after += `      fputs(" addr=", out);\n      put_buf(buf, ${Math.min(Math.max(m.name.len, 0), SOCKADDR_STORAGE_LEN)});\n`;
  after += '      fprintf(out, " len=%d", (int)m.msg_namelen);\n';
  after += `      if (r >= 0) { fputs(" data=", out); put_hex(d, (int)(r < ${total} ? r : ${total})); }\n`;
  after += '      fputs(" msg_flags=", out);\n      put_flags(msg_flag_names, (unsigned)m.msg_flags);\n      fprintf(out, " controllen=%lu", (unsigned long)m.msg_controllen);\n';
  const waitall = (c.flags & MSG_WAITALL) !== 0 ? total : undefined;
  return { ...none, decl, mayBlock: true, after, expr: call('&m'), ...(waitall !== undefined ? { waitall } : {}) };
}

/** The entries array holds the call's entries, then {-1, 0} up to nfds (at most 1024). */
function pollCode(c: Extract<Call, { op: 'poll' }>): CallCode {
  const nfds = c.nfds >>> 0;
  const size = Math.max(1, c.entries.length, nfds <= POLL_PAD_MAX ? nfds : 0);
  const init = c.entries.map((e) => `{${cInt(e.fd)}, (short)${e.events & 0xffff}, (short)${REVENTS_UNTOUCHED}}`);
  const decl = `    static struct pollfd pfd[${size}];\n    int i;\n` +
    `    for (i = 0; i < ${size}; i++) { pfd[i].fd = -1; pfd[i].events = 0; pfd[i].revents = (short)${REVENTS_UNTOUCHED}; }\n` +
    init.map((x, i) => `    pfd[${i}] = (struct pollfd)${x};\n`).join('');
  let after = '';
  if (c.fds === 'ok') {
    after = '      fputs(" revents=[", out);\n' +
      c.entries.map((_, i) => `${i > 0 ? '      fputs(", ", out);\n' : ''}      put_revents((unsigned short)pfd[${i}].revents);\n`).join('') +
      '      fputs("]", out);\n';
  }
  return {
    decl, after, always: '', mayBlock: c.timeout !== 0,
    expr: `syscall(SYS_poll, ${ptrExpr(c.fds, 'pfd')}, ${nfds}u, ${cInt(c.timeout)})`,
  };
}

/**
 * select through the raw syscall (glibc's select reads the timeval itself). nfds above
 * 1024 is passed as 1024: the sets are 1024 bits, and for members below 1024 the two
 * are the same call (the kernel clamps nfds to the fd table's size anyway).
 */
function selectCode(c: Extract<Call, { op: 'select' }>): CallCode {
  const sets = [c.read, c.write, c.except] as const;
  let decl = '    static unsigned long fs[3][1024 / (8 * sizeof(unsigned long))];\n    memset(fs, 0, sizeof fs);\n';
  sets.forEach((x, j) => {
    if (x.ptr === 'ok') for (const fd of x.fds) decl += `    fs[${j}][${fd} / (8 * sizeof(unsigned long))] |= 1UL << (${fd} % (8 * sizeof(unsigned long)));\n`;
  });
  const t = c.timeout;
  if (t.ptr === 'ok') decl += `    struct { long s, u; } tv = {${cInt(t.sec)}, ${cInt(t.usec)}};\n`;
  const n = (c.nfds | 0) > 1024 ? 1024 : c.nfds | 0;
  const args = sets.map((x, j) => ptrExpr(x.ptr, `fs[${j}]`)).join(', ');
  const names = ['read', 'write', 'except'];
  const after = sets.map((x, j) => (x.ptr === 'ok' ? `      put_set("${names[j]}", fs[${j}]);\n` : '')).join('');
  const waits = t.ptr === 'null' || (t.ptr === 'ok' && (t.sec !== 0 || t.usec !== 0));
  return { decl, after, always: '', mayBlock: waits, expr: `syscall(SYS_select, ${cInt(n)}, ${args}, ${ptrExpr(t.ptr, '&tv')})` };
}

/** socketcall: the carried call's arguments as 32-bit words, its buffers in lo32() memory. */
function socketcallCode(c: Extract<Call, { op: 'socketcall' }>): CallCode {
  const none = { decl: '', after: '', always: '', mayBlock: false };
  const kind = c.args === 'ok' ? 0 : c.args === 'null' ? 1 : 2;
  const readable = c.readable ?? -1;
  const inner = c.call;
  if (inner === undefined) return { ...none, expr: `socketcall32(${cInt(c.num)}, ${kind}, NULL, 0, ${readable})` };
  const ptr = (p: Ptr, ok: string): string => (p === 'ok' ? `W(${ok})` : p === 'null' ? '0' : '1');
  let decl = '    unsigned char *lo = lo32();\n    (void)lo;\n';
  let words: string[];
  let after = '';
  let always = '';
  let mayBlock = false;
  switch (inner.op) {
    case 'socket':
      words = [cInt(inner.domain), cInt(inner.type), cInt(inner.protocol)];
      break;
    case 'bind':
    case 'connect': {
      const a = inner.addr;
      if (a.ptr === 'ok' && a.vm !== undefined) {
        decl += `    fill_vm((struct sockaddr_storage *)lo, ${a.family & 0xffff}, ${a.port >>> 0}u, ${a.vm.cid >>> 0}u, ${a.vm.flags & 0xff});\n`;
      } else if (a.ptr === 'ok' && isV6Text(a.addr)) decl += sin6Decl(a, '(struct sockaddr_storage *)lo');
      else if (a.ptr === 'ok') {
        const ip = a.addr.split('.').map((x) => Number(x) & 0xff).join(', ');
        decl += `    static const unsigned char ip[4] = {${ip}};\n    fill_in((struct sockaddr_storage *)lo, ${a.family & 0xffff}, ${a.port & 0xffff}, ip);\n`;
      }
      words = [cInt(inner.fd), ptr(a.ptr, 'lo'), cInt(a.len)];
      always = `    put_bound(${cInt(inner.fd)});\n`;
      mayBlock = inner.op === 'connect';
      break;
    }
    case 'listen':
      words = [cInt(inner.fd), cInt(inner.backlog)];
      always = `    put_bound(${cInt(inner.fd)});\n`;
      break;
    case 'accept':
    case 'accept4':
    case 'getsockname':
    case 'getpeername': {
      const o = inner.out;
      decl += `    unsigned char *buf = lo + 256;\n    socklen_t *len = (socklen_t *)(lo + 512);\n    memset(buf, 0xa5, ${SOCKADDR_STORAGE_LEN});\n    *len = ${cLen(o.len)};\n`;
      words = [cInt(inner.fd), ptr(o.ptr, 'buf'), ptr(o.lenPtr, 'len')];
      if (inner.op === 'accept4') words.push(cInt(inner.flags));
      const shown = Math.min(Math.max(o.len, 0), SOCKADDR_STORAGE_LEN);
      if (o.ptr === 'ok') after += `      fputs(" addr=", out);\n      put_buf(buf, ${shown});\n`;
      if (o.lenPtr === 'ok') after += '      fprintf(out, " len=%d", (int)*len);\n';
      mayBlock = inner.op === 'accept' || inner.op === 'accept4';
      break;
    }
    case 'shutdown':
      words = [cInt(inner.fd), cInt(inner.how)];
      break;
    case 'getsockopt': {
      const o = inner.opt;
      decl += `    unsigned char *val = lo + 1024;\n    socklen_t *len = (socklen_t *)(lo + 512);\n    memset(val, 0xa5, ${OPTVAL_SHOWN});\n    *len = ${cLen(o.len)};\n`;
      words = [cInt(inner.fd), cInt(inner.level), cInt(inner.name), ptr(o.ptr, 'val'), ptr(o.lenPtr, 'len')];
      const shown = Math.min(Math.max(o.len, 0), OPTVAL_SHOWN);
      if (o.ptr === 'ok') {
        after += `      fputs(" val=", out);\n      put_buf(val, ${shown});\n`;
        if (shown >= 4) after += '      if (r == 0) { int v; memcpy(&v, val, sizeof v); fprintf(out, " (%d)", v); }\n';
      }
      if (o.lenPtr === 'ok') after += '      fprintf(out, " len=%d", (int)*len);\n';
      break;
    }
    case 'setsockopt':
      decl += `    int *v = (int *)(lo + 1024);\n    memset(v, 0, 256);\n    v[0] = ${cInt(inner.value)};\n    v[1] = ${cInt(inner.linger ?? 0)};\n`;
      words = [cInt(inner.fd), cInt(inner.level), cInt(inner.name), ptr(inner.ptr ?? 'ok', 'v'), cInt(inner.optlen)];
      break;
    case 'send':
    case 'sendto': {
      // The bytes at lo + 2048, the address (sendto) at lo.
      const n = inner.data.length / 2;
      decl += `    static const unsigned char d[${Math.max(n, 1)}] = {${n === 0 ? '0' : Array.from({ length: n }, (_, i) => `0x${inner.data.slice(2 * i, 2 * i + 2)}`).join(', ')}};\n    memcpy(lo + 2048, d, ${n});\n`;
      words = [cInt(inner.fd), 'W(lo + 2048)', String(n), cInt(inner.flags)];
      if (inner.op === 'sendto') {
        const a = inner.addr;
        if (a.ptr === 'ok' && isV6Text(a.addr)) decl += sin6Decl(a, '(struct sockaddr_storage *)lo');
        else if (a.ptr === 'ok') {
          const ip = a.addr.split('.').map((x) => Number(x) & 0xff).join(', ');
          decl += `    static const unsigned char ip[4] = {${ip}};\n    fill_in((struct sockaddr_storage *)lo, ${a.family & 0xffff}, ${a.port & 0xffff}, ip);\n`;
        }
        words.push(ptr(a.ptr, 'lo'), cInt(a.len));
      }
      always = `    put_bound(${cInt(inner.fd)});\n`;
      break;
    }
    case 'recv':
    case 'recvfrom': {
      decl += `    unsigned char *rb = lo + 2048;\n    memset(rb, 0xa5, ${DATA_MAX});\n`;
      words = [cInt(inner.fd), 'W(rb)', String(inner.len), cInt(inner.flags)];
      if (inner.op === 'recvfrom') {
        const o = inner.out;
        decl += `    unsigned char *buf = lo + 256;\n    socklen_t *len = (socklen_t *)(lo + 512);\n    memset(buf, 0xa5, ${SOCKADDR_STORAGE_LEN});\n    *len = ${cLen(o.len)};\n`;
        words.push(ptr(o.ptr, 'buf'), ptr(o.lenPtr, 'len'));
        const shown = Math.min(Math.max(o.len, 0), SOCKADDR_STORAGE_LEN);
        if (o.ptr === 'ok') after += `      fputs(" addr=", out);\n      put_buf(buf, ${shown});\n`;
        if (o.lenPtr === 'ok') after += '      fprintf(out, " len=%d", (int)*len);\n';
      }
      after += `      if (r >= 0) { fputs(" data=", out); put_hex(rb, (int)(r < ${inner.len} ? r : ${inner.len})); }\n`;
      const list = words.map((w) => `(unsigned)${w}`).join(', ');
      return { decl, expr: `socketcall32(${cInt(c.num)}, ${kind}, (const unsigned[]){${list}}, ${words.length}, ${readable})`, after, always, mayBlock: true, ...((inner.flags & MSG_WAITALL) !== 0 ? { waitall: inner.len } : {}) };
    }
    case 'sendmsg':
    case 'recvmsg':
      return msgCode(inner, { num: c.num, kind, readable });
  }
  const list = words.map((w) => `(unsigned)${w}`).join(', ');
  return { decl, expr: `socketcall32(${cInt(c.num)}, ${kind}, (const unsigned[]){${list}}, ${words.length}, ${readable})`, after, always, mayBlock };
}

/** C for the meaning of a successful fcntl result, mirroring result.ts retMeaning. */
function fcntlMeaning(c: Call): string {
  if (c.op !== 'fcntl') return '';
  if (c.cmd === F_GETFL) return '      if (r >= 0) { fputs(" (", out); put_getfl((unsigned)r); fputs(")", out); }\n';
  if (c.cmd === F_GETFD) return '      if (r > 0) { fputs(" (", out); put_flags(fd_flags, (unsigned)r); fputs(")", out); }\n';
  return '';
}

function step(n: number, c: Call): string {
  const k = callCode(c);
  const text = renderCall(c);
  // A MSG_WAITALL read the deadline cut short returns what it took: blocked, as the adapters report it.
  const cut = k.waitall !== undefined ? `    if (fired && r >= 0 && r < ${k.waitall}) { r = -1; e = EINTR; }\n` : '';
  const call = k.mayBlock ? `    arm();\n    r = ${k.expr};\n    e = errno;\n    disarm();\n${cut}` : `    r = ${k.expr};\n    e = errno;\n`;
  const after = k.after + fcntlMeaning(c);
  return `  { /* ${n} */\n${k.decl}${call}    begin(${n}, ${cString(text)});\n` +
    (after ? `    if (!result(r, e, ${k.mayBlock ? 1 : 0})) {\n${after}    }\n` : `    result(r, e, ${k.mayBlock ? 1 : 0});\n`) +
    `${k.always}    end();\n  }\n`;
}

/** `*` `/` cannot end a comment early. */
function commentSafe(s: string): string {
  return s.replaceAll('*/', '* /');
}

function headerComment(t: Trace): string {
  const seed = t.seed === undefined ? '' : ` (seed ${t.seed}${t.path !== undefined ? `, path "${t.path}"` : ''})`;
  const p = t.profile;
  const lines = [
    `sockspec reproducer: ${t.steps.length} calls recorded on adapter '${t.adapter}'${seed}.`,
    `Profile: kernel ${p.kernel}, somaxconn ${p.somaxconn}, ip_local_port_range ${p.portRange[0]}-${p.portRange[1]},`,
    `ip_unprivileged_port_start ${p.unprivilegedPortStart}, RLIMIT_NOFILE ${p.nofile}, CAP_NET_BIND_SERVICE ${p.capNetBindService ? 'yes' : 'no'}.`,
    `Kernel build: ${p.build ?? '(not recorded)'}; kernel variants (spec/variants.ts): ${variantsText(p.variants)}.`,
    ...(p.file ? [`The world's regular file: s_maxbytes ${p.file.maxBytes ?? 'above 2^53'}${p.file.noexec ? ', noexec' : ''}.`] : []),
    '',
    'Build and run:  cc repro.c -o repro && ./repro     (as root; otherwise: unshare -rn ./repro)',
    'It runs in a new network namespace (only its own loopback), from the fd table every',
    `sequence starts with (0-2: /dev/null, 3: a pipe read end${p.file ? `, ${FILE_FD}: the ${FILE_SIZE}-byte regular file` : ''}), and prints one line per call`,
    'in the form of the sockspec report. Lines starting with # are notes. A call that may',
    `block is interrupted after ${DEADLINE_US / 1000} ms and printed as blocked.`,
    ...(p.file ? ['The file is made in a fresh directory under $TMPDIR (or /tmp) and removed from disk at once.'] : []),
    '',
    'Recorded:',
  ];
  t.steps.forEach((s, i) => {
    const rule = s.rule !== undefined ? `  [${s.rule}]` : '';
    lines.push(`  ${i + 1}: ${renderCall(s.call)} ${renderObserved(s.observed, s.call)}${rule}`);
    if (t.divergence?.index === i) {
      lines.push('     ^ diverges from the model, which allows:');
      if (t.divergence.allowed.length === 0) lines.push('       nothing (no rule of the model applies)');
      for (const a of t.divergence.allowed) lines.push(`       ${renderExpected(a.expect, s.call)}  [${a.rule}]`);
    }
  });
  return `/*\n${lines.map((l) => commentSafe(` * ${l}`.trimEnd())).join('\n')}\n */\n`;
}

/** The fd the program prints to: the first from 900 up that no call of the trace names. */
function outFd(t: Trace): number {
  const used = new Set<number>();
  for (const { call: outer } of t.steps) {
    const call = outer.op === 'socketcall' ? outer.call : outer;
    if (call === undefined) continue;
    if (call.op === 'poll') for (const e of call.entries) used.add(e.fd);
    else if (call.op === 'select') for (const x of [call.read, call.write, call.except]) { if (x.ptr === 'ok') for (const fd of x.fds) used.add(fd); }
    else if (call.op !== 'socket' && call.op !== 'socketpair') used.add(call.fd);
    if (call.op === 'sendfile') used.add(call.inFd);
    if (call.op === 'fcntl' && (call.cmd === F_DUPFD || call.cmd === F_DUPFD_CLOEXEC)) used.add(call.arg);
  }
  let fd = OUT_FD_BASE;
  while (used.has(fd)) fd++;
  return fd;
}

/** The C program for `t`. Never throws for a trace that traceFromJson accepts. */
export function traceToC(t: Trace): string {
  const body = t.steps.map((s, i) => step(i + 1, s.call)).join('');
  return `${headerComment(t)}${cHelpers(outFd(t))}
int main(void) {
  long r;
  int e;
${cSetup(t.profile)}
${body}  (void)r;
  (void)e;
  return 0;
}
`;
}
