/**
 * The command line: parses arguments with yargs, runs one command, prints one clear
 * sentence on failure and returns the exit code. The only module that reads argv or env,
 * writes to the terminal, or decides the exit code. Heavy modules load inside handlers.
 */
import yargs from 'yargs';
import { InputError, SerialFlashError } from '../errors.js';
import { emulateCommand } from './commands/emulate.js';
import { flashCommand } from './commands/flash.js';
import { infoCommand } from './commands/info.js';
import { listCommand } from './commands/list.js';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';
import { type CliContext, type Output, terminalOutput } from './output.js';

export async function main(argv: string[], output: Output = terminalOutput(), context: CliContext = {}): Promise<number> {
  let exitCode: number = EXIT.ok;
  const cli = { output, setExitCode: (code: number) => (exitCode = code), binding: context.binding };
  const parser = yargs(argv)
    .scriptName('serial-flash')
    .usage('$0 [PORT] FILE [options]\n\nFlash FILE to a device over a serial line with YMODEM.')
    .command(flashCommand(cli))
    .command(listCommand(cli))
    .command(infoCommand(cli))
    .command(emulateCommand(cli))
    .completion('completion', 'print a shell completion script (bash/zsh)')
    .env('SERIAL_FLASH')
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(100, output.columns ?? 100))
    .epilogue(EXIT_CODES_HELP)
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      throw new InputError('USAGE', `${message} (see serial-flash --help)`);
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    output.error(describeError(error, argv.includes('--verbose') || argv.includes('-v')));
    return exitCodeFor(error);
  }
  return exitCode;
}

function describeError(error: unknown, verbose: boolean): string {
  if (error instanceof SerialFlashError) {
    if (!verbose) return error.message;
    const context = JSON.stringify(error.context, (_key, value) => (typeof value === 'bigint' ? String(value) : value));
    return `${error.message}\n  code: ${error.code}\n  context: ${context}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `Unexpected failure: ${message}. Please report it with the output of --verbose.${verbose && error instanceof Error ? `\n${error.stack}` : ''}`;
}
