/**
 * The address families in sockspec's scope, and what a run says about each: modelled (and
 * generated), or not, with what the implementation under test answers when asked for a
 * socket of that family. A family a run does not cover is named in its summary, never
 * passed over in silence.
 */
import type { Session } from '../spec/adapter.js';
import { AF_INET, AF_INET6, AF_UNIX, AF_VSOCK, SOCKADDR_IN6_LEN, SOCK_DGRAM, SOCK_STREAM } from '../spec/constants.js';

/**
 * AF_INET6 is modelled for TCP and UDP over ::1 and v4-mapped addresses (lifecycle, options,
 * the data path) except: flow labels (IPV6_FLOWINFO_SEND, flowlabel managers; a nonzero
 * sin6_flowinfo is only ever ignored), scope ids on real link-local interfaces (the namespace
 * has lo only: link-local binds, connects and sends fail, and only lo's index 1 is ever
 * given as a scope id), IPv6 multicast (groups are bound only at link scope and never sent
 * to: no route on lo), IPv6 options other than IPV6_V6ONLY (and the SOL_IP level of
 * AF_INET6 sockets), IPV6_ADDRFORM, and an IPv6 connection to a listener whose icsk_af_ops
 * is still ipv6_mapped (never generated; model/ipv4/family.ts refuseMappedListener).
 */
export const FAMILIES: readonly { name: string; domain: number; modelled: boolean; limits?: string }[] = [
  { name: 'AF_INET', domain: AF_INET, modelled: true },
  {
    name: 'AF_INET6', domain: AF_INET6, modelled: true,
    limits: 'not yet: flow labels, link-local scopes, IPv6 multicast, IPv6 options but IPV6_V6ONLY, IPV6_ADDRFORM',
  },
  // model/unix/: the sockets socketpair(2) makes, and abstract names bound to them.
  {
    name: 'AF_UNIX', domain: AF_UNIX, modelled: true,
    limits: 'not yet: socket(AF_UNIX) itself, filesystem names, autobind, listen/accept/connect between unix sockets, SCM_RIGHTS/SCM_CREDENTIALS (control messages), MSG_OOB',
  },
  {
    name: 'AF_VSOCK', domain: AF_VSOCK, modelled: true,
    // model/core/vsock_sock.ts: vsock is not network-namespaced, so nothing that could bind,
    // listen on a bound socket or connect is ever run.
    limits: 'unbound sockets only: no bind, listen or connect that could succeed is run (no loopback transport; vsock binds are not namespace-isolated), so accept EAGAIN and data transfer are not reached',
  },
];

/**
 * For each family the model does not cover, and for AF_INET6 (which an implementation may
 * lack): what socket(family, SOCK_STREAM / SOCK_DGRAM, 0) answers in `session` (each socket
 * made is closed again), for AF_INET6 also why it is not runnable (inet6Unusable). For
 * AF_VSOCK: its transports as the session's profile states them (no socket is made). The
 * session should be fresh and is left with its initial fd table.
 */
export async function probeFamilies(session: Session): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of FAMILIES) {
    if (f.domain === AF_VSOCK) {
      const v = session.profile.vsock;
      out[f.name] = v === undefined ? 'not registered, socket() answers EAFNOSUPPORT'
        : `transports: guest-to-host${v.loopback ? ', loopback' : ''}${v.h2g ? ', host-to-guest' : ''}${v.dgram ? ', datagram' : ', no datagram (SOCK_DGRAM ENODEV)'}`;
      continue;
    }
    if (f.modelled && f.domain !== AF_INET6) continue;
    const parts: string[] = [];
    for (const [tname, type] of [['SOCK_STREAM', SOCK_STREAM], ['SOCK_DGRAM', SOCK_DGRAM]] as const) {
      const o = await session.exec({ op: 'socket', domain: f.domain, type, protocol: 0 });
      if (o.kind === 'returned' && o.ret >= 0) {
        parts.push(`${tname} ok`);
        await session.exec({ op: 'close', fd: o.ret });
      } else parts.push(`${tname} ${o.kind === 'returned' ? o.errno ?? '?' : o.kind}`);
    }
    if (f.domain === AF_INET6) {
      const why = await inet6Unusable(session);
      if (why !== undefined && parts[0] === 'SOCK_STREAM ok') parts.push(`not runnable: ${why}`);
    }
    out[f.name] = parts.join(', ');
  }
  return out;
}

/**
 * Why `session`'s implementation cannot run AF_INET6 sequences (undefined when it can): its
 * socket(AF_INET6, SOCK_STREAM, 0) fails (IPv6 disabled, a stack built without it), or it
 * cannot take an IPv6 address (a bind to [::]:0 is answered `unsupported`). Leaves the fd
 * table as it was.
 */
export async function inet6Unusable(session: Session): Promise<string | undefined> {
  const o = await session.exec({ op: 'socket', domain: AF_INET6, type: SOCK_STREAM, protocol: 0 });
  if (o.kind !== 'returned' || o.ret < 0) return `socket(AF_INET6) ${o.kind === 'returned' ? o.errno ?? '?' : o.kind}`;
  try {
    const b = await session.exec({ op: 'bind', fd: o.ret, addr: { ptr: 'ok', len: SOCKADDR_IN6_LEN, family: AF_INET6, addr: '::', port: 0 } });
    return b.kind === 'unsupported' ? `IPv6 addresses unsupported (${b.detail})` : undefined;
  } finally {
    await session.exec({ op: 'close', fd: o.ret });
  }
}

/**
 * The summary line: `AF_INET, AF_INET6, AF_UNIX, AF_VSOCK modelled and generated (AF_INET6:
 * not yet ...; AF_UNIX: not yet ...; AF_VSOCK: here ..., unbound sockets only ...)`, then the
 * families not modelled yet, if any. A family modelled in part says what of it is not. A
 * modelled AF_INET6 whose stream socket the implementation does not make (IPv6 disabled, a
 * stack built without it), or that cannot take an IPv6 address, is named as modelled but
 * not runnable here, so not generated (harness/check.ts inet6Runnable).
 */
export function familiesLine(probed: Record<string, string> | undefined): string {
  const p6 = probed?.['AF_INET6'] ?? '';
  const runs = (f: (typeof FAMILIES)[number]): boolean => f.domain !== AF_INET6 || probed === undefined
    || (p6.startsWith('SOCK_STREAM ok') && !p6.includes('not runnable'));
  const modelled = FAMILIES.filter((f) => f.modelled && runs(f));
  // AF_INET6's probe only says whether it runs: it is not repeated for a runnable family.
  const here = (f: (typeof FAMILIES)[number]): string | undefined => f.domain === AF_INET6 ? undefined : probed?.[f.name];
  const notes = modelled.filter((f) => f.limits !== undefined || here(f) !== undefined)
    .map((f) => `${f.name}: ${[here(f) ? `here ${here(f)}` : '', f.limits ?? ''].filter((x) => x !== '').join(', ')}`);
  const dead = FAMILIES.filter((f) => f.modelled && !runs(f)).map((f) => `${f.name} (here: ${probed?.[f.name] ?? '?'})`);
  const rest = FAMILIES.filter((f) => !f.modelled).map((f) => `${f.name}${probed?.[f.name] ? ` (here: ${probed[f.name]})` : ''}`);
  return `${modelled.map((f) => f.name).join(', ')} modelled and generated${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`
    + (dead.length > 0 ? `; modelled but not runnable here, so not generated: ${dead.join('; ')}` : '')
    + (rest.length > 0 ? `; not modelled yet, so not generated: ${rest.join('; ')}` : '');
}
