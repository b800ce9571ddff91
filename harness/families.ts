/**
 * The address families in sockspec's scope, and what a run says about each: modelled (and
 * generated), or not, with what the implementation under test answers when asked for a
 * socket of that family. A family a run does not cover is named in its summary, never
 * passed over in silence.
 */
import type { Session } from '../spec/adapter.js';
import { AF_INET, AF_INET6, AF_UNIX, AF_VSOCK, SOCK_DGRAM, SOCK_STREAM } from '../spec/constants.js';

export const FAMILIES: readonly { name: string; domain: number; modelled: boolean; limits?: string }[] = [
  { name: 'AF_INET', domain: AF_INET, modelled: true },
  { name: 'AF_INET6', domain: AF_INET6, modelled: false },
  // model/unix*.ts: the sockets socketpair(2) makes, and abstract names bound to them.
  {
    name: 'AF_UNIX', domain: AF_UNIX, modelled: true,
    limits: 'not yet: socket(AF_UNIX) itself, filesystem names, autobind, listen/accept/connect between unix sockets, SCM_RIGHTS/SCM_CREDENTIALS (control messages), MSG_OOB',
  },
  {
    name: 'AF_VSOCK', domain: AF_VSOCK, modelled: true,
    // model/vsockstate.ts: vsock is not network-namespaced, so nothing that could bind,
    // listen on a bound socket or connect is ever run.
    limits: 'unbound sockets only: no bind, listen or connect that could succeed is run (no loopback transport; vsock binds are not namespace-isolated), so accept EAGAIN and data transfer are not reached',
  },
];

/**
 * For each family the model does not cover: what socket(family, SOCK_STREAM / SOCK_DGRAM,
 * 0) answers in `session` (each socket made is closed again). For AF_VSOCK: its transports
 * as the session's profile states them (no socket is made). The session should be fresh
 * and is left with its initial fd table.
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
    if (f.modelled) continue;
    const parts: string[] = [];
    for (const [tname, type] of [['SOCK_STREAM', SOCK_STREAM], ['SOCK_DGRAM', SOCK_DGRAM]] as const) {
      const o = await session.exec({ op: 'socket', domain: f.domain, type, protocol: 0 });
      if (o.kind === 'returned' && o.ret >= 0) {
        parts.push(`${tname} ok`);
        await session.exec({ op: 'close', fd: o.ret });
      } else parts.push(`${tname} ${o.kind === 'returned' ? o.errno ?? '?' : o.kind}`);
    }
    out[f.name] = parts.join(', ');
  }
  return out;
}

/**
 * The summary line: `AF_INET, AF_UNIX, AF_VSOCK modelled and generated (AF_UNIX: not yet ...;
 * AF_VSOCK: here ..., unbound sockets only ...); not modelled yet, so not generated: AF_INET6
 * (here: ...)`. A family modelled in part says what of it is not.
 */
export function familiesLine(probed: Record<string, string> | undefined): string {
  const modelled = FAMILIES.filter((f) => f.modelled);
  const notes = modelled.filter((f) => f.limits !== undefined || probed?.[f.name] !== undefined)
    .map((f) => `${f.name}: ${[probed?.[f.name] ? `here ${probed[f.name]}` : '', f.limits ?? ''].filter((x) => x !== '').join(', ')}`);
  const rest = FAMILIES.filter((f) => !f.modelled).map((f) => `${f.name}${probed?.[f.name] ? ` (here: ${probed[f.name]})` : ''}`);
  return `${modelled.map((f) => f.name).join(', ')} modelled and generated${notes.length > 0 ? ` (${notes.join('; ')})` : ''}; not modelled yet, so not generated: ${rest.join('; ')}`;
}
