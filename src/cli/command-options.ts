/**
 * The options a command declares, read from the same builder the parser runs: for completion,
 * and to tell a misspelled setting in a config file from one meant for another command.
 */
import type { Argv, CommandModule } from 'yargs';
import { REPORT_OPTIONS } from './report.js';
import { loadYargs } from './yargs-lite.js';

export interface DeclaredOptions {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
  choices: Record<string, string[]>;
  boolean: string[];
}

/** The options of `command` (with the global ones), as yargs records them. */
export async function declaredOptions(command: CommandModule<object, never> | undefined): Promise<DeclaredOptions> {
  const parser = (await loadYargs())([]).options(REPORT_OPTIONS);
  if (command && typeof command.builder === 'function') (command.builder as (y: Argv) => unknown)(parser);
  // yargs' published types leave getOptions() out.
  return (parser as unknown as { getOptions(): DeclaredOptions }).getOptions();
}

/** Every option name and alias any of `commands` takes, and which of them are switches (booleans). */
export async function optionNames(commands: readonly CommandModule<object, never>[]): Promise<{ names: Set<string>; switches: Set<string> }> {
  const names = new Set<string>();
  const switches = new Set<string>();
  for (const command of commands) {
    const options = await declaredOptions(command);
    for (const key of [...Object.keys(options.key), ...Object.values(options.alias).flat()]) names.add(key);
    for (const key of options.boolean) switches.add(key);
  }
  return { names, switches };
}
