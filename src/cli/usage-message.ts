/**
 * yargs reports bad usage over several lines ("Invalid values:\n  Argument: target, Given:
 * …"); every error serial-flash prints is one sentence, so its messages are rewritten here.
 * A value the user did not type (from SERIAL_FLASH_* or a config file) is named by where it
 * came from, not as a flag they never typed.
 */
import { InputError } from '../errors.js';
import { likelyMeant } from '../util/edit-distance.js';
import type { SettingOrigins } from './settings.js';

const INVALID_CHOICE = /Argument: ([\w-]+), Given: (.+?), Choices: (.+?)\s*$/m;

/** One sentence (without the final full stop) for a yargs validation message. */
export function usageSentence(message: string, origins?: SettingOrigins): string {
  const choice = INVALID_CHOICE.exec(message);
  if (choice) {
    const [, option, given, choices] = choice;
    const listed = choices!.split(/,\s*/).map((c) => c.replace(/^"(.*)"$/, '$1')).join(', ');
    const origin = origins?.fromOutside(option!) ? origins.of(option!) : undefined;
    if (origin) return `${option} must be one of ${listed}, not ${given} (from ${origin}); change or remove that setting`;
    return `--${option} must be one of ${listed}, not ${given}`;
  }
  return message.replace(/\s*\n\s*/g, ' ').trim().replace(/[.:]$/, '');
}

const UNKNOWN_ARGUMENT = /^Unknown arguments?: ([\w-]+)/;

/** `Unknown argument: tagret` gains the option it was probably meant to be, among `options`. */
export function suggestOption(error: unknown, options: readonly string[]): unknown {
  if (!(error instanceof InputError) || error.code !== 'USAGE') return error;
  const typed = UNKNOWN_ARGUMENT.exec(error.message)?.[1];
  if (typed === undefined) return error;
  const meant = likelyMeant(typed, options);
  if (meant === undefined) return error;
  return new InputError('USAGE', error.message.replace(UNKNOWN_ARGUMENT, (found) => `${found}; did you mean --${meant}?`), error.context);
}

const LEADING_OPTION = /^--([a-z][a-z-]*)\b/;

/**
 * A refusal that names an option (`--baud must be between …`) whose value came from the
 * environment or a config file: the same refusal, saying where the value was set.
 */
export function attributeToOrigin(error: unknown, origins: SettingOrigins): unknown {
  if (!(error instanceof InputError) || error.code === 'USAGE') return error;
  const option = LEADING_OPTION.exec(error.message)?.[1];
  if (option === undefined || !origins.fromOutside(option)) return error;
  const message = `${error.message.replace(LEADING_OPTION, option).replace(/\.$/, '')} (from ${origins.of(option)}).`;
  return new InputError(error.code, message, error.context);
}


/** Options whose value may be left out: `--pty` alone picks a path, `--wait` alone waits the default. */
const VALUE_OPTIONAL = new Set(['pty', 'wait']);

interface DeclaredOptions {
  getOptions(): { string: string[]; choices: Record<string, string[]>; alias: Record<string, string[]> };
}

/**
 * A yargs middleware (before validation): a string option typed without its value (`-t` at
 * the end of the line, or followed by another option) arrives as '' or as its default, and
 * would silently mean the default; say that it needs one.
 */
export function refuseEmptyValues(argv: readonly string[], helpCommand: string) {
  return (parsed: Record<string, unknown>, yargs?: DeclaredOptions): void => {
    if (!yargs) return;
    const { string, choices, alias } = yargs.getOptions();
    for (const name of string) {
      if (VALUE_OPTIONAL.has(name) || /[A-Z]/.test(name)) continue;
      const flags = [`--${name}`, ...(alias[name] ?? []).map((a) => (a.length === 1 ? `-${a}` : `--${a}`))];
      if (parsed[name] !== '' && !flags.some((flag) => typedWithoutValue(argv, flag))) continue;
      const short = (alias[name] ?? []).find((a) => a.length === 1);
      const among = choices[name]?.length ? ` (one of ${choices[name]!.join(', ')})` : '';
      throw new InputError('USAGE', `${short ? `-${short}/` : ''}--${name} needs a value${among} (see ${helpCommand}).`);
    }
  };
}

/** `flag` is the last word, or followed by another option (a negative number is a value). */
function typedWithoutValue(argv: readonly string[], flag: string): boolean {
  return argv.some((word, i) => {
    if (word !== flag) return false;
    const next = argv[i + 1];
    return next === undefined || (next.startsWith('-') && !/^-\d/.test(next));
  });
}
