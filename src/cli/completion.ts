/**
 * Shell completion: the words for `serial-flash … <Tab>`, from the same option definitions the
 * parser uses. yargs' own completion knows only the global options until a command is named,
 * so the default command (flash) offered `--help --json …` and a literal `$0`.
 */
import type { CommandModule } from 'yargs';
import { type DeclaredOptions, declaredOptions } from './command-options.js';

export const COMPLETION_INSTALL = 'serial-flash completion >> ~/.bashrc (zsh: >> ~/.zshrc), then open a new shell';
export const COMPLETION_HELP = `Usage: ${COMPLETION_INSTALL}.

Prints a bash/zsh completion script. Tab then completes commands, each command's options
(serial-flash --<Tab>, serial-flash emulate --<Tab>), choices (-t <Tab>) and file names.`;

/**
 * What the completion script runs on each Tab: `serial-flash --get-yargs-completions WORDS…`.
 * Answered here rather than by yargs, which parses (and validates) the half-typed line first.
 */
export const COMPLETION_KEY = '--get-yargs-completions';

/** `words`: the program's name, then the words up to the cursor (the last one being completed). */
export async function completionsFor(words: readonly string[], commands: readonly CommandModule<object, never>[]): Promise<string[]> {
  const current = words.length > 1 ? words.at(-1)! : '';
  const typed = words.slice(1, words.at(-1) === current ? -1 : undefined);
  const names = commands.map((command) => commandName(command)).filter((name): name is string => name !== undefined);
  const named = commands.find((command) => typed.includes(commandName(command) ?? '\0'));
  const chosen = named ?? commands.find((command) => commandName(command) === undefined);
  const options = await declaredOptions(chosen);
  const previous = words.at(-1) === current ? words.at(-2) : words.at(-1);
  const choices = previous?.startsWith('-') ? choicesOf(previous.replace(/^-+/, ''), options) : undefined;
  if (choices) return choices.map(String).filter((choice) => choice.startsWith(current));
  if (current.startsWith('-')) {
    const aliases = new Set(Object.values(options.alias).flat());
    const positionals = new Set(positionalNames(chosen));
    return Object.keys(options.key)
      .filter((key) => !aliases.has(key) && key.length > 1 && !positionals.has(key))
      .map((key) => `--${key}`)
      .filter((flag) => flag.startsWith(current) && !typed.includes(flag));
  }
  // The first word may be a command; after that, file and port names (the shell's own completion).
  const positionals = typed.filter((word) => !word.startsWith('-'));
  if (named || positionals.length > 0) return [];
  return [...names, 'completion'].filter((name) => name.startsWith(current));
}

function commandName(command: CommandModule<object, never>): string | undefined {
  const name = String(command.command ?? '').split(' ')[0];
  return name === '$0' || name === '' ? undefined : name;
}

/** `$0 [PORT] [FILE]` → PORT, FILE (yargs records positionals as options too). */
function positionalNames(command: CommandModule<object, never> | undefined): string[] {
  return [...String(command?.command ?? '').matchAll(/[[<]([\w-]+)/g)].map((match) => match[1]!);
}

function choicesOf(flag: string, options: DeclaredOptions): string[] | undefined {
  const owners = Object.keys(options.alias).filter((key) => options.alias[key]!.includes(flag));
  for (const key of [flag, ...(options.alias[flag] ?? []), ...owners]) {
    if (options.choices[key]?.length) return options.choices[key];
  }
  return undefined;
}
