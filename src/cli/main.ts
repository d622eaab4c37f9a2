/**
 * The command line: parses arguments with yargs, runs one command, prints one clear
 * sentence on failure and returns the exit code. The only module that reads argv or env,
 * writes to the terminal, or decides the exit code. Heavy modules load inside handlers.
 */
import { existsSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { InputError, SerialFlashError } from '../errors.js';
import { emulateCommand } from './commands/emulate.js';
import { flashCommand } from './commands/flash.js';
import { infoCommand } from './commands/info.js';
import { listCommand } from './commands/list.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { type CliContext, type Output, terminalOutput } from './output.js';
import { loadYargs } from './yargs-lite.js';
import { attributeToOrigin, refuseEmptyValues, suggestOption, usageSentence } from './usage-message.js';
import { REPORT_OPTIONS, RunReport } from './report.js';
import { type ConfigFile, dropForeignSettings, ENV_PREFIX, loadConfig, refuseUnknownSettings, SettingOrigins } from './settings.js';
import { declaredOptions, optionNames } from './command-options.js';
import { helpWidth } from './help.js';
import { likelyMeant } from '../util/edit-distance.js';
import { COMPLETION_HELP, COMPLETION_INSTALL, COMPLETION_KEY, completionsFor } from './completion.js';

export async function main(argv: string[], output: Output = terminalOutput(), context: CliContext = {}): Promise<number> {
  const yargs = await loadYargs();
  let exitCode: number = EXIT.ok;
  const report = new RunReport(output, argv);
  let config: ConfigFile = { values: {}, sources: [], origins: {} };
  try {
    config = loadConfig(context.cwd ?? process.cwd());
  } catch (error) {
    return failed(error, argv, output, report);
  }
  const env = context.env ?? process.env;
  const origins = new SettingOrigins(argv, config, env);
  const cli = { output, setExitCode: (code: number) => (exitCode = code), binding: context.binding, report, argv, origins };
  const commands = [flashCommand(cli), listCommand(cli), infoCommand(cli), emulateCommand(cli)] as CommandModule<object, never>[];
  const commandNames = [...commands.map((command) => String(command.command).split(' ')[0]!).filter((name) => name !== '$0'), 'completion'];
  // The help that lists the option a usage mistake is about: the command's own, when one was named.
  const helpCommand = `serial-flash${commandNames.includes(argv[0] ?? '$0') ? ` ${argv[0]}` : ''} --help`;
  const parser = yargs(argv)
    .scriptName('serial-flash')
    .usage('$0 [PORT] FILE [options]\n\nFlash FILE to a device over a serial line with YMODEM.')
    .command(commands)
    .completion('completion', 'print a shell completion script (bash/zsh)')
    .options(REPORT_OPTIONS)
    .env(ENV_PREFIX)
    .middleware(dropForeignSettings(argv), true)
    .middleware(refuseEmptyValues(argv, helpCommand), true)
    .middleware((args) => report.configure(args), true)
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(helpWidth(output))
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      throw new InputError('USAGE', `${usageSentence(message, origins)} (see ${helpCommand}).`);
    });
  const outsideSettings = Object.keys(config.values).length > 0 || Object.keys(env).some((name) => name.startsWith(`${ENV_PREFIX}_`));
  if (outsideSettings && argv[0] !== COMPLETION_KEY) {
    try {
      refuseUnknownSettings(config, env, await optionNames(commands));
    } catch (error) {
      return failed(error, argv, output, report);
    }
  }
  const mistyped = mistypedCommand(argv[0], commandNames);
  if (mistyped) {
    return failed(new InputError('USAGE', `${argv[0]} is neither a command nor a file: did you mean serial-flash ${mistyped}?`), argv, output, report);
  }
  if (argv[0] === COMPLETION_KEY) {
    output.stdout.write((await completionsFor(argv.slice(1), commands)).map((word) => `${word}\n`).join(''));
    return EXIT.ok;
  }
  if (argv[0] === 'completion') {
    // yargs would print the script and then go on to run the default command (exitProcess is off).
    if (argv.includes('--help') || argv.includes('-h')) output.stdout.write(`${COMPLETION_HELP}\n`);
    else if (argv.length === 1) parser.showCompletionScript();
    else return failed(new InputError('USAGE', `completion takes no arguments; install it with ${COMPLETION_INSTALL}.`), argv, output, report);
    return EXIT.ok;
  }
  try {
    await parser.config(config.values).parseAsync();
  } catch (error) {
    const command = commands.find((c) => String(c.command).split(' ')[0] === argv[0]) ?? commands[0];
    const options = Object.keys((await declaredOptions(command)).key);
    return failed(suggestOption(attributeToOrigin(error, origins), options), argv, output, report);
  } finally {
    report.close();
  }
  return exitCode;
}

/**
 * The command a first word that names no file was probably meant to be (`lsit` → `list`), so a
 * typo is not reported as a missing firmware file.
 */
function mistypedCommand(word: string | undefined, commands: string[]): string | undefined {
  if (word === undefined || word.startsWith('-') || commands.includes(word) || existsSync(word)) return undefined;
  return likelyMeant(word.toLowerCase(), commands);
}

/** One sentence on stderr (and the result line and log entry), and the exit code. */
function failed(error: unknown, argv: readonly string[], output: Output, report: RunReport): number {
  const message = describeError(error, argv.includes('--verbose') || argv.includes('-v'));
  output.error(message);
  report.fail(error, exitCodeFor(error), message);
  report.close();
  return exitCodeFor(error);
}

function describeError(error: unknown, verbose: boolean): string {
  if (error instanceof SerialFlashError) {
    // A usage mistake is the whole story; its code and empty context only add noise.
    if (!verbose || error.code === 'USAGE') return error.message;
    const context = JSON.stringify(error.context, (_key, value) => (typeof value === 'bigint' ? String(value) : value));
    return `${error.message}\n  code: ${error.code}\n  context: ${context}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `Unexpected failure: ${message}. Please report it with the output of --verbose.${verbose && error instanceof Error ? `\n${error.stack}` : ''}`;
}
