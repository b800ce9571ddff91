import type { Variants } from './variants.js';

/**
 * The facts of a machine (and of the network namespace a session runs in) that change
 * Linux's answers. The model takes one; adapters read theirs. Data only.
 */
export interface Profile {
  /** uname release, e.g. "6.18.44". */
  kernel: string;
  /** uname version (the build: "#1 SMP PREEMPT_DYNAMIC ..."); with `kernel`, the key of a kernel build. */
  build?: string;
  /**
   * The kernel's variant set (spec/variants.ts), decided by probes on the machine under
   * test; an axis left out (or no field at all) has the model's reference value.
   */
  variants?: Partial<Variants>;
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
  /** Socket buffer sysctls; absent: Linux's defaults (LINUX_BUFFERS). */
  buffers?: Buffers;
  /** AF_VSOCK's transports; absent: AF_VSOCK is not registered (socket() answers EAFNOSUPPORT). */
  vsock?: VsockTransports;
  /** The world's regular file (World.file), present exactly when the world has one. */
  file?: FileFacts;
}

/** Facts of the filesystem the world's regular file lives on. */
export interface FileFacts {
  /**
   * The superblock's s_maxbytes (the largest offset lseek accepts; do_sendfile's `max`):
   * (2^32 - 1) * 4096 on ext4 with 4 KiB blocks. Absent when above 2^53 (MAX_LFS_FILESIZE
   * on tmpfs, xfs, btrfs), which no offset a call carries can reach.
   */
  maxBytes?: number;
  /** The filesystem is mounted noexec (ST_NOEXEC): mmap with PROT_EXEC fails with EPERM. */
  noexec: boolean;
  /**
   * How the filesystem takes MAP_SYNC (absent: not measured; the model then allows either
   * answer): `validate` whether MAP_SHARED_VALIDATE accepts the flag (FOP_MMAP_SYNC: ext4,
   * xfs; not tmpfs), `refuse` whether its ->mmap refuses VM_SYNC (ext4 and xfs without
   * DAX: EOPNOTSUPP; tmpfs ignores it).
   */
  mapSync?: { validate: boolean; refuse: boolean };
}

/**
 * Which AF_VSOCK transports are registered (net/vmw_vsock/af_vsock.c: transport_local,
 * transport_h2g, transport_dgram; a guest's transport_g2h is assumed). They decide
 * vsock_find_cid (which CIDs a bind may name) and whether SOCK_DGRAM has a transport.
 * vsock is not network-namespaced: these are the machine's.
 */
export interface VsockTransports {
  /** vsock_loopback: VMADDR_CID_LOCAL (1) is local. */
  loopback: boolean;
  /** A host-to-guest transport (vhost_vsock): VMADDR_CID_HOST (2) is local. */
  h2g: boolean;
  /** A datagram transport (vmci): socket(AF_VSOCK, SOCK_DGRAM) gets one instead of ENODEV. */
  dgram: boolean;
}

/** A virtio guest's vsock (vmw_vsock_virtio_transport only), as on the machines sockspec is developed on. */
export const VIRTIO_GUEST_VSOCK: VsockTransports = { loopback: false, h2g: false, dgram: false };

/** The sysctls behind SO_RCVBUF and SO_SNDBUF, in bytes. */
export interface Buffers {
  /** net.core.rmem_default / wmem_default: a new socket's sk_rcvbuf / sk_sndbuf (sock_init_data; UDP keeps them). */
  rmemDefault: number;
  wmemDefault: number;
  /** net.core.rmem_max / wmem_max: what setsockopt(SO_RCVBUF / SO_SNDBUF) clamps to before doubling (sk_setsockopt). */
  rmemMax: number;
  wmemMax: number;
  /** net.ipv4.tcp_rmem / tcp_wmem [min, default, max]: TCP starts at default (tcp_init_sock); tcp_sndbuf_expand caps at tcp_wmem max. */
  tcpRmem: [number, number, number];
  tcpWmem: [number, number, number];
}

/** Linux's defaults for Buffers (net/core/sock.c SK_RMEM_MAX/SK_WMEM_MAX, net/ipv4/tcp.c tcp_init). */
export const LINUX_BUFFERS: Buffers = {
  rmemDefault: 212992,
  wmemDefault: 212992,
  rmemMax: 212992,
  wmemMax: 212992,
  tcpRmem: [4096, 131072, 6291456],
  tcpWmem: [4096, 16384, 4194304],
};

/** The file facts of ext4 with 4 KiB blocks, a common /tmp: what a model session's file has by default. */
export const EXT4_FILE: FileFacts = { maxBytes: (2 ** 32 - 1) * 4096, noexec: false, mapSync: { validate: true, refuse: true } };

/** Linux's defaults in a fresh network namespace (what a new netns starts with). */
export const DEFAULT_PROFILE: Profile = {
  kernel: 'unknown',
  somaxconn: 4096,
  portRange: [32768, 60999],
  unprivilegedPortStart: 1024,
  nofile: 1024,
  capNetBindService: true,
  vsock: VIRTIO_GUEST_VSOCK,
};
