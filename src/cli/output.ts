/** Where the CLI writes: the terminal, or buffers in tests. */
import type { Writable } from 'node:stream';

export interface Output {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  columns?: number;
  /** Colour only on a terminal and when NO_COLOR is not set. */
  color: boolean;
  /** One sentence on stderr, prefixed with the program name. */
  error(message: string): void;
}

export function terminalOutput(): Output {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    columns: process.stdout.columns,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    error: (message) => process.stderr.write(`serial-flash: ${message}\n`),
  };
}
