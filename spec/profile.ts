/**
 * The facts of a machine (and of the network namespace a session runs in) that change
 * Linux's answers. The model takes one; adapters read theirs. Data only.
 */
export interface Profile {
  /** uname release, e.g. "6.18.44". */
  kernel: string;
  /** net.core.somaxconn: listen()'s backlog cap (__sys_listen). */
  somaxconn: number;
  /** net.ipv4.ip_local_port_range. */
  portRange: [number, number];
  /** net.ipv4.ip_unprivileged_port_start. */
  unprivilegedPortStart: number;
  /** RLIMIT_NOFILE soft limit as the sequence sees it (its fd table's size). */
  nofile: number;
  /** CAP_NET_BIND_SERVICE in the effective set. */
  capNetBindService: boolean;
}

/** Linux's defaults in a fresh network namespace (what a new netns starts with). */
export const DEFAULT_PROFILE: Profile = {
  kernel: 'unknown',
  somaxconn: 4096,
  portRange: [32768, 60999],
  unprivilegedPortStart: 1024,
  nofile: 1024,
  capNetBindService: true,
};
