/**
 * mmap(2) of an fd in the sequence (never MAP_ANONYMOUS, never MAP_FIXED), in the
 * kernel's order. The model does not track mappings: a mapping that succeeds is unmapped
 * at once by the adapter, and `ret` 0 stands for "a mapping was made".
 *   1. sys_mmap (arch/x86/kernel/sys_x86_64.c): an offset that is not page-aligned: EINVAL;
 *   2. ksys_mmap_pgoff: fget(fd): EBADF; MAP_HUGETLB on a file that is not hugetlbfs: EINVAL;
 *   3. do_mmap: len 0: EINVAL; then by map type (flags & MAP_TYPE):
 *      MAP_SHARED drops unknown flags, MAP_SHARED_VALIDATE refuses them (EOPNOTSUPP: here
 *      MAP_SYNC, which only DAX files take); a shared PROT_WRITE mapping needs FMODE_WRITE
 *      (EACCES); both shared and private fall through to: FMODE_READ (EACCES), on a noexec
 *      mount (sockfs, pipefs) PROT_EXEC gives EPERM, no f_op->mmap gives ENODEV (/dev/null
 *      and a pipe have none); any other map type: EINVAL;
 *   4. mmap_region → call_mmap → sock_mmap → the socket's ops->mmap: sock_no_mmap (UDP):
 *      ENODEV; tcp_mmap (TCP, any state): VM_WRITE or VM_EXEC gives EPERM, else the mapping
 *      is made (for TCP receive zerocopy);
 *   5. the world's regular file (World.file) has an f_op->mmap (the filesystem's, e.g.
 *      ext4_file_mmap): PROT_EXEC on a noexec mount (Profile.file) gives EPERM, otherwise
 *      the mapping is made, past EOF too (only touching such pages faults). MAP_SYNC (kept
 *      in vm_flags as VM_SYNC by calc_vm_flag_bits even when MAP_SHARED drops the flag)
 *      is refused by ext4 and xfs without DAX (daxdev_mapping_supported: EOPNOTSUPP) and
 *      ignored by tmpfs; and MAP_SHARED_VALIDATE accepts it on a filesystem with
 *      FOP_MMAP_SYNC (ext4, xfs: the later checks apply, EACCES first) but not on tmpfs
 *      (EOPNOTSUPP). The linux adapter measures both (Profile.file.mapSync); a profile
 *      without them allows either answer.
 * The page-aligned offsets and small lengths the generator draws pass file_mmap_ok.
 */
import { variantOf } from '../../spec/variants.js';
import type { Call } from '../../spec/call.js';
import { lookupFile } from './fd.js';
import { fail, ok, type Outcome } from '../core/outcome.js';
import type { Obj, State } from '../core/state.js';

export const MMAP_RULES = [
  'mmap/EINVAL-offset',
  'mmap/EBADF',
  'mmap/EINVAL-hugetlb',
  'mmap/EINVAL-len',
  'mmap/EINVAL-type',
  'mmap/EOPNOTSUPP-validate',
  'mmap/EACCES',
  'mmap/EPERM-noexec',
  'mmap/EINVAL-growsdown',
  'mmap/ENODEV-file',
  'mmap/ENODEV-sock',
  'mmap/EPERM-tcp',
  'mmap/tcp',
  'mmap/file',
  'mmap/EOPNOTSUPP-sync',
] as const;

export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_SHARED_VALIDATE = 0x03;
const MAP_TYPE = 0x0f;
export const MAP_POPULATE = 0x8000;
/** MAP_GROWSDOWN (VM_GROWSDOWN): refused for a file mapping (x86 has no MAP_GROWSUP). */
const MAP_GROWSDOWN = 0x100;
export const MAP_HUGETLB = 0x40000;
export const MAP_SYNC = 0x80000;
/** LEGACY_MAP_MASK (include/linux/mman.h): the flags MAP_SHARED_VALIDATE accepts on a file without FOP_MMAP_SYNC. */
const LEGACY_MAP_MASK =
  0x01 | 0x02 | 0x10 | 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20 | 0x40000 | 0xf;
const PAGE_SIZE = 4096;

type MmapCall = Extract<Call, { op: 'mmap' }>;

export function mmapStep(s: State, c: MmapCall): Outcome[] {
  // MAP_FIXED (0x10), MAP_ANONYMOUS (0x20), MAP_FIXED_NOREPLACE (0x100000): an anonymous mapping
  // ignores the fd, a fixed one replaces whatever is at the address; neither is modelled.
  if (c.flags & (0x10 | 0x20 | 0x100000))
    throw new Error('model: mmap with MAP_FIXED, MAP_ANONYMOUS or MAP_FIXED_NOREPLACE is not modelled');
  if (c.offset % PAGE_SIZE !== 0) return [fail(s, 'mmap/EINVAL-offset', 'EINVAL')];
  const f = lookupFile(s, c.fd);
  if (f.errno) return [fail(s, 'mmap/EBADF', 'EBADF')];
  if (c.flags & MAP_HUGETLB) return [fail(s, 'mmap/EINVAL-hugetlb', 'EINVAL')];
  if (c.len === 0) return [fail(s, 'mmap/EINVAL-len', 'EINVAL')];
  const o = s.objs[f.id]!;
  const type = c.flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_SHARED_VALIDATE && type !== MAP_PRIVATE)
    return [fail(s, 'mmap/EINVAL-type', 'EINVAL')];
  // The regular file's filesystem may set FOP_MMAP_SYNC (ext4, xfs), which adds MAP_SYNC
  // to the flags MAP_SHARED_VALIDATE accepts (Profile.file.mapSync; unmeasured: either).
  if (
    o.kind === 'file' &&
    o.what === 'regular' &&
    type === MAP_SHARED_VALIDATE &&
    (c.flags & ~LEGACY_MAP_MASK) === MAP_SYNC
  ) {
    const v = s.profile.file?.mapSync?.validate;
    const refused = fail(s, 'mmap/EOPNOTSUPP-validate', 'EOPNOTSUPP');
    return v === undefined ? [refused, ...afterValidate(s, c, o, type)] : v ? afterValidate(s, c, o, type) : [refused];
  }
  if (type === MAP_SHARED_VALIDATE && c.flags & ~LEGACY_MAP_MASK)
    return [fail(s, 'mmap/EOPNOTSUPP-validate', 'EOPNOTSUPP')];
  return afterValidate(s, c, o, type);
}

/** do_mmap after the map type's flag check, then the file's ->mmap. */
function afterValidate(s: State, c: MmapCall, o: Obj, type: number): Outcome[] {
  // Sockets are opened O_RDWR (sock_alloc_file); /dev/null here O_RDWR; the pipe's read end and
  // the regular file O_RDONLY.
  const canWrite = o.kind !== 'file' || (o.fileFlags & 3) !== 0;
  if (type !== MAP_PRIVATE && c.prot & PROT_WRITE && !canWrite) return [fail(s, 'mmap/EACCES', 'EACCES')];
  // Variant mmap-exec-pseudofs: a socket or a pipe counts as noexec ('eperm', 6.18), or
  // its ->mmap answers PROT_EXEC itself ('enodev', 6.1 and 6.12: sock_no_mmap and a pipe's
  // missing ->mmap ENODEV, tcp_mmap EPERM).
  const pseudoNoexec = variantOf(s.profile.variants, 'mmap-exec-pseudofs') === 'eperm';
  const noexec =
    o.kind !== 'file'
      ? pseudoNoexec
      : (o.what === 'pipe-read' && pseudoNoexec) || (o.what === 'regular' && s.profile.file?.noexec === true);
  if (noexec && c.prot & PROT_EXEC) return [fail(s, 'mmap/EPERM-noexec', 'EPERM')];
  // "if (!file->f_op->mmap) return -ENODEV;" (the pipe, /dev/null); then, for a file that has
  // one, "if (vm_flags & (VM_GROWSDOWN|VM_GROWSUP)) return -EINVAL;" before ->mmap is called.
  if (o.kind === 'file' && o.what !== 'regular') return [fail(s, 'mmap/ENODEV-file', 'ENODEV')];
  if (c.flags & MAP_GROWSDOWN) return [fail(s, 'mmap/EINVAL-growsdown', 'EINVAL')];
  if (o.kind === 'file') {
    const mapped = ok('mmap/file', 0, () => s);
    if (!(c.flags & MAP_SYNC)) return [mapped];
    const refuse = s.profile.file?.mapSync?.refuse;
    const refused = fail(s, 'mmap/EOPNOTSUPP-sync', 'EOPNOTSUPP');
    return refuse === undefined ? [refused, mapped] : refuse ? [refused] : [mapped];
  }
  // AF_UNIX sockets have sock_no_mmap too, and so have vsock_stream_ops / vsock_seqpacket_ops.
  if (o.kind === 'unix' || o.kind === 'vsock' || o.proto !== 'tcp') return [fail(s, 'mmap/ENODEV-sock', 'ENODEV')];
  // A private writable mapping has VM_WRITE as well (VM_MAYWRITE is what copy-on-write adds).
  if (c.prot & (PROT_WRITE | PROT_EXEC)) return [fail(s, 'mmap/EPERM-tcp', 'EPERM')];
  return [ok('mmap/tcp', 0, () => s)];
}
