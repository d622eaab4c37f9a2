/**
 * Whether a serial path is a pseudo-terminal (socat pairs, `emulate --pty`, a board's console
 * relayed by a program). A pty has no line: bytes written on one side are readable on the other
 * at once, which some receivers do not expect (see the ymodem profile).
 */
import { realpath } from 'node:fs/promises';

/** Linux (Unix98) pty slaves, and macOS's /dev/ttysNNN. */
const PTY_PATH = /^\/dev\/(pts\/\d+|ttys\d+)$/;

export async function isPseudoTerminal(path: string): Promise<boolean> {
  // socat and udev give ptys friendlier names through symlinks: judge what they point to.
  const target = await realpath(path).catch(() => path);
  return PTY_PATH.test(target);
}
