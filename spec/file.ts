/**
 * The regular file a world may own (World.file): its fd, its size and its bytes. Every
 * adapter that provides it creates exactly these bytes, opens the file O_RDONLY at fd
 * FILE_FD with its position at 0, and removes it with the session. Data only.
 */

/** The file's fd in a world that has it (the lowest free one after 0-3; sockets start at 5). */
export const FILE_FD = 4;

/** The file's size in bytes: a few hundred, so that counts past the end and EOF are reachable. */
export const FILE_SIZE = 300;

/**
 * The file's bytes: FILE_SIZE / 4 tokens "000 ", "004 ", "008 ", …, "296 ", each the
 * decimal offset it starts at, so that any 4 bytes read from it say where they came from.
 */
export function fileBytes(): Buffer {
  let s = '';
  for (let i = 0; i < FILE_SIZE; i += 4) s += `${String(i).padStart(3, '0')} `;
  return Buffer.from(s, 'latin1');
}

/** The file's bytes [from, to) as lowercase hex. */
export function fileHex(from: number, to: number): string {
  return fileBytes().toString('hex', from, to);
}
