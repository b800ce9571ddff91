/**
 * The address families in sockspec's scope, and what a run says about each: modelled (and
 * generated), or not, with what the implementation under test answers when asked for a
 * socket of that family. A family a run does not cover is named in its summary, never
 * passed over in silence.
 */
import type { Session } from '../spec/adapter.js';
import { AF_INET, AF_INET6, AF_UNIX, AF_VSOCK, SOCK_DGRAM, SOCK_STREAM } from '../spec/constants.js';

export const FAMILIES: readonly { name: string; domain: number; modelled: boolean; notYet?: string }[] = [
  { name: 'AF_INET', domain: AF_INET, modelled: true },
  { name: 'AF_INET6', domain: AF_INET6, modelled: false },
  // model/unix*.ts: the sockets socketpair(2) makes, and abstract names bound to them.
  {
    name: 'AF_UNIX', domain: AF_UNIX, modelled: true,
    notYet: 'socket(AF_UNIX) itself, filesystem names, autobind, listen/accept/connect between unix sockets, SCM_RIGHTS/SCM_CREDENTIALS, MSG_OOB',
  },
  { name: 'AF_VSOCK', domain: AF_VSOCK, modelled: false },
];

/**
 * For each family the model does not cover: what socket(family, SOCK_STREAM / SOCK_DGRAM,
 * 0) answers in `session` (each socket made is closed again). The session should be
 * fresh and is left with its initial fd table.
 */
export async function probeFamilies(session: Session): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of FAMILIES) {
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
 * The summary line: `AF_INET, AF_UNIX (not yet: ...) modelled and generated; not modelled yet, so not
 * generated: AF_INET6 (here: ...), ...`. A family modelled in part says what of it is not.
 */
export function familiesLine(probed: Record<string, string> | undefined): string {
  const modelled = FAMILIES.filter((f) => f.modelled).map((f) => (f.notYet ? `${f.name} (not yet: ${f.notYet})` : f.name)).join(', ');
  const rest = FAMILIES.filter((f) => !f.modelled).map((f) => `${f.name}${probed?.[f.name] ? ` (here: ${probed[f.name]})` : ''}`);
  return `${modelled} modelled and generated; not modelled yet, so not generated: ${rest.join('; ')}`;
}
