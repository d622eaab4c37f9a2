/** Where the CLI writes: the terminal, or buffers in tests. */
import type { Writable } from 'node:stream';
import type { BindingInterface } from '@serialport/bindings-cpp';

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

/** What the embedding program may inject: a serialport binding (virtual devices in tests and the demo). */
export interface CliContext {
  binding?: BindingInterface;
}

/** What every command gets. */
export interface Cli {
  output: Output;
  setExitCode(code: number): void;
  binding?: BindingInterface;
}
