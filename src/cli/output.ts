/** Where the CLI writes: the terminal, or buffers in tests. */
import type { Writable } from 'node:stream';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { colorEnabled } from './color.js';
import type { RunReport } from './report.js';
import type { SettingOrigins } from './settings.js';

export interface Output {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  columns?: number;
  /** Colour on stdout: only on a terminal and when NO_COLOR is not set (see color.ts). */
  color: boolean;
  /** The same for stderr, where human text goes in --json mode; absent means none. */
  errorColor?: boolean;
  /** One sentence on stderr, prefixed with the program name. */
  error(message: string): void;
}

export function terminalOutput(): Output {
  // `serial-flash --json … | head -3` closes stdout early; the flash must still finish cleanly.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', ignoreBrokenPipe);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    columns: process.stdout.columns,
    color: colorEnabled(process.stdout),
    errorColor: colorEnabled(process.stderr),
    error: (message) => process.stderr.write(`serial-flash: ${message}\n`),
  };
}

function ignoreBrokenPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
}

/** What the embedding program may inject: a serialport binding (virtual devices in tests and the demo). */
export interface CliContext {
  binding?: BindingInterface;
  /** Where the config file search starts (default: the current directory). */
  cwd?: string;
  /** The environment SERIAL_FLASH_* settings are read from (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/** What every command gets. */
export interface Cli {
  output: Output;
  setExitCode(code: number): void;
  binding?: BindingInterface;
  /** --json, --trace and --log for this run: where lines go, and the result line on failure. */
  report: RunReport;
  /** The arguments as typed, to tell a typed option from one set by the environment or a config file. */
  argv: readonly string[];
  /** Where each setting came from (typed, SERIAL_FLASH_*, a config file), for messages. */
  origins: SettingOrigins;
}
