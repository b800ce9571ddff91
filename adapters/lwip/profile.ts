/**
 * The profile an lwIP world answers by (spec/profile.ts), in Linux's terms. Pure.
 */
import type { Profile } from '../../spec/profile.js';

/**
 * lwIP's facts as Linux would state them: ephemeral ports from lwIP's
 * TCP_LOCAL_PORT_RANGE_START..END and UDP_LOCAL_PORT_RANGE_START..END (0xc000..0xffff,
 * tcp.c and udp.c); no privileged ports (lwIP has no notion of them, as
 * ip_unprivileged_port_start = 0); listen's backlog capped at 255 (lwip_listen clamps it
 * to 0..0xff). `nofile` and `capNetBindService` are the world's.
 */
export function lwipProfile(version: string, nofile: number, capNetBindService: boolean): Profile {
  return { kernel: `lwIP ${version}`, somaxconn: 255, portRange: [49152, 65535], unprivilegedPortStart: 0, nofile, capNetBindService };
}
