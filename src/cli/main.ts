/**
 * The command line: parses arguments with yargs, runs one command, prints one clear
 * sentence on failure and returns the exit code. The only module that reads argv or env,
 * writes to the terminal, or decides the exit code. Heavy modules load inside handlers.
 */
import { InputError, SerialFlashError } from '../errors.js';
import { emulateCommand } from './commands/emulate.js';
import { flashCommand } from './commands/flash.js';
import { infoCommand } from './commands/info.js';
import { listCommand } from './commands/list.js';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';
import { type CliContext, type Output, terminalOutput } from './output.js';
import { loadYargs } from './yargs-lite.js';
import { usageSentence } from './usage-message.js';
import { REPORT_OPTIONS, RunReport } from './report.js';
import { dropForeignSettings, ENV_PREFIX, loadConfig, SETTINGS_HELP } from './settings.js';

export async function main(argv: string[], output: Output = terminalOutput(), context: CliContext = {}): Promise<number> {
  const yargs = await loadYargs();
  let exitCode: number = EXIT.ok;
  const report = new RunReport(output, argv);
  const cli = { output, setExitCode: (code: number) => (exitCode = code), binding: context.binding, report, argv };
  const parser = yargs(argv)
    .scriptName('serial-flash')
    .usage('$0 [PORT] FILE [options]\n\nFlash FILE to a device over a serial line with YMODEM.')
    .command(flashCommand(cli))
    .command(listCommand(cli))
    .command(infoCommand(cli))
    .command(emulateCommand(cli))
    .completion('completion', 'print a shell completion script (bash/zsh)')
    .options(REPORT_OPTIONS)
    .env(ENV_PREFIX)
    .middleware(dropForeignSettings(argv), true)
    .middleware((args) => report.configure(args), true)
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(100, output.columns ?? 100))
    .epilogue(`${EXIT_CODES_HELP}\n\n${SETTINGS_HELP}`)
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      throw new InputError('USAGE', `${usageSentence(message)} (see serial-flash --help).`);
    });
  if (argv[0] === 'completion' && argv.length === 1) {
    // yargs would print the script and then go on to run the default command (exitProcess is off).
    parser.showCompletionScript();
    return EXIT.ok;
  }
  try {
    await parser.config(loadConfig(context.cwd ?? process.cwd()).values).parseAsync();
  } catch (error) {
    const message = describeError(error, argv.includes('--verbose') || argv.includes('-v'));
    output.error(message);
    report.fail(error, exitCodeFor(error), message);
    return exitCodeFor(error);
  } finally {
    report.close();
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
