/**
 * How an address buffer the kernel wrote back is printed, here and (by the same rules,
 * re-implemented in C) by the C reproducer:
 * - a buffer that starts with a whole struct sockaddr_in (family AF_INET, sin_zero all
 *   zero) shows those 16 bytes as `ip:port`;
 * - other bytes are lowercase hex;
 * - a trailing run of 4 or more 0xa5 bytes (the fill the caller put there, untouched by
 *   the kernel) shows as `a5*N`;
 * - the parts are joined with `+`, an empty buffer is `(empty)`.
 * So `127.0.0.1:40000`, `127.0.0.1:40000+a5*112`, `a5*16`, `02009c40`. Pure.
 */

/** Shortest trailing run of the fill byte that is abbreviated. */
export const FILL_RUN_MIN = 4;
/** The byte adapters fill an out-buffer with before the call. */
export const FILL_BYTE = 0xa5;

/** `ip:port` of a 16-byte struct sockaddr_in at the start of `b`, if it is one. */
export function sockaddrIn(b: Uint8Array): string | undefined {
  if (b.length < 16 || b[0] !== 2 || b[1] !== 0) return undefined;
  for (let i = 8; i < 16; i++) if (b[i] !== 0) return undefined;
  const port = ((b[2] ?? 0) << 8) | (b[3] ?? 0);
  return `${b[4]}.${b[5]}.${b[6]}.${b[7]}:${port}`;
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** The buffer's bytes (given as hex, as in Observed.addr) in the form described above. */
export function renderBuffer(hex: string): string {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) return hex;
  const b = Uint8Array.from(Buffer.from(hex, 'hex'));
  if (b.length === 0) return '(empty)';
  const parts: string[] = [];
  const head = sockaddrIn(b);
  let rest = b;
  if (head !== undefined) {
    parts.push(head);
    rest = b.subarray(16);
  }
  let run = 0;
  while (run < rest.length && rest[rest.length - 1 - run] === FILL_BYTE) run++;
  if (run >= FILL_RUN_MIN) {
    if (rest.length > run) parts.push(hexOf(rest.subarray(0, rest.length - run)));
    parts.push(`a5*${run}`);
  } else if (rest.length > 0) {
    parts.push(hexOf(rest));
  }
  return parts.join('+');
}
