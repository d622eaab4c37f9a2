/**
 * Defaults from outside the command line. yargs applies them with this precedence:
 * command line > environment (SERIAL_FLASH_*) > config file > built-in defaults.
 * The config file is the nearest `.serial-flashrc` (JSON) from the current directory
 * upward, over the `serial-flash` key of the nearest package.json.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { likelyMeant } from '../util/edit-distance.js';

export const ENV_PREFIX = 'SERIAL_FLASH';
export const RC_FILE = '.serial-flashrc';
export const PACKAGE_KEY = 'serial-flash';

/** For --help; yargs wraps it. */
export const SETTINGS_HELP =
  `Defaults for any option: ${ENV_PREFIX}_<OPTION> in the environment (${ENV_PREFIX}_PORT, ${ENV_PREFIX}_TARGET, ` +
  `${ENV_PREFIX}_BAUD, …), or a ${RC_FILE} JSON file here or above (or a "${PACKAGE_KEY}" key in package.json). ` +
  'The command line wins over the environment, which wins over the file.';

export interface ConfigFile {
  values: Record<string, unknown>;
  /** The files the values came from, nearest last. */
  sources: string[];
  /** For each key of `values`, where it was read: ".serial-flashrc in /path" or "package.json in /path". */
  origins: Record<string, string>;
}

export function loadConfig(cwd: string): ConfigFile {
  const rc = findUpward(cwd, RC_FILE);
  const pkg = findUpward(cwd, 'package.json');
  const fromPackage = pkg ? readObject(pkg, (parsed) => (parsed as Record<string, unknown>)[PACKAGE_KEY]) : undefined;
  const fromRc = rc ? readObject(rc, (parsed) => parsed) : undefined;
  const origins: Record<string, string> = {};
  for (const key of Object.keys(fromPackage ?? {})) origins[key] = `package.json in ${dirname(pkg!)} ("${PACKAGE_KEY}")`;
  for (const key of Object.keys(fromRc ?? {})) origins[key] = `${RC_FILE} in ${dirname(rc!)}`;
  return {
    values: { ...fromPackage, ...fromRc },
    sources: [fromPackage && `${pkg} ("${PACKAGE_KEY}")`, fromRc && rc].filter((s): s is string => Boolean(s)),
    origins,
  };
}

/**
 * Where each setting came from, in the words a message should use: `--target` when typed,
 * `SERIAL_FLASH_TARGET=esp32` from the environment, `.serial-flashrc in /path: target` from a
 * file. A value reported as a flag the user never typed sends them looking in the wrong place.
 */
export class SettingOrigins {
  constructor(
    private readonly argv: readonly string[],
    private readonly config: Pick<ConfigFile, 'values' | 'origins'>,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** `name` in kebab case (`block-size`); undefined when the built-in default applies. */
  of(name: string, aliases: readonly string[] = []): string | undefined {
    if (onCommandLine(this.argv, name, aliases)) return `--${name}`;
    const variable = envName(name);
    if (this.env[variable] !== undefined) return `${variable}=${this.env[variable]}`;
    const key = [name, camel(name)].find((k) => k in this.config.values);
    if (key !== undefined) return `${this.config.origins[key] ?? 'the config file'}: ${key}`;
    return undefined;
  }

  /** Whether a setting came from the environment or a config file rather than the command line. */
  fromOutside(name: string, aliases: readonly string[] = []): boolean {
    const origin = this.of(name, aliases);
    return origin !== undefined && !origin.startsWith('--');
  }
}

export function envName(name: string): string {
  return `${ENV_PREFIX}_${name.toUpperCase().replaceAll('-', '_')}`;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

function findUpward(start: string, name: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, name);
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function readObject(path: string, pick: (parsed: unknown) => unknown): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError('CONFIG_FILE', `${path} is not valid JSON (${(error as Error).message}); fix it or remove it.`, { path });
  }
  const value = pick(parsed);
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError('CONFIG_FILE', `${path} must hold a JSON object of option names and values, e.g. {"baud": 57600}.`, { path });
  }
  return value as Record<string, unknown>;
}

/** Whether `--name` (or one of its short aliases) was typed, rather than coming from the environment or a file. */
export function onCommandLine(argv: readonly string[], name: string, aliases: readonly string[] = []): boolean {
  const flags = [`--${name}`, `--no-${name}`, ...aliases.map((alias) => `-${alias}`)];
  return argv.some((token) => flags.some((flag) => token === flag || token.startsWith(`${flag}=`)));
}

interface KnownOptions {
  getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]> };
}

/**
 * A yargs middleware (run before validation) that drops settings the running command does not
 * take, when they came from the environment or the config file: `SERIAL_FLASH_TARGET` must
 * not make `serial-flash list` fail as an unknown argument. Typed options still are checked.
 */
export function dropForeignSettings(argv: readonly string[]) {
  // yargs passes itself as the second argument; its published types leave that out.
  return (parsed: Record<string, unknown>, yargs?: KnownOptions): void => {
    if (!yargs) return;
    const options = yargs.getOptions();
    const known = new Set([...Object.keys(options.key), ...Object.values(options.alias).flat(), ...Object.keys(options.alias)]);
    for (const key of Object.keys(parsed)) {
      if (key === '_' || key === '$0' || known.has(key) || known.has(kebab(key))) continue;
      if (!onCommandLine(argv, kebab(key))) delete parsed[key];
    }
  };
}

/**
 * A key in a config file that no command takes is a typo (`adress`), and ignoring it would
 * flash with the default instead: refused, naming the file and the nearest option. From the
 * environment only near-misses are refused (SERIAL_FLASH_ADRESS), since other tools may share
 * the prefix.
 */
export function refuseUnknownSettings(
  config: Pick<ConfigFile, 'values' | 'origins'>,
  env: NodeJS.ProcessEnv,
  { names: known, switches }: { names: ReadonlySet<string>; switches: ReadonlySet<string> },
): void {
  const options = [...known].filter((name) => name.length > 1).map(kebab);
  // SERIAL_FLASH_BLOCK_SIZE → block-size
  const variables = Object.keys(env)
    .filter((variable) => variable.startsWith(`${ENV_PREFIX}_`))
    .map((variable) => ({ variable, name: variable.slice(ENV_PREFIX.length + 1).toLowerCase().replaceAll('_', '-') }));
  const switchOptions = new Set([...switches].map(kebab));
  const isSwitch = (name: string) => switchOptions.has(kebab(name));
  // A switch set to anything but true or false would be read as false: SERIAL_FLASH_VERIFY=1
  // must not quietly mean "do not verify".
  for (const [key, value] of Object.entries(config.values)) {
    if (isSwitch(key) && typeof value !== 'boolean') {
      throw new InputError('UNKNOWN_SETTING', `${config.origins[key] ?? 'The config file'}: ${key} must be true or false, not ${JSON.stringify(value)}.`);
    }
  }
  for (const { variable, name } of variables) {
    if (isSwitch(name) && !/^(true|false)$/.test(env[variable] ?? '')) {
      throw new InputError('UNKNOWN_SETTING', `${variable}=${env[variable]} must be true or false; write ${variable}=true (or false).`);
    }
  }
  const isKnown = (name: string) => options.includes(kebab(name));
  const nearest = (name: string) => likelyMeant(kebab(name), options);
  for (const key of Object.keys(config.values)) {
    if (isKnown(key)) continue;
    const hint = nearest(key);
    throw new InputError('UNKNOWN_SETTING', `${config.origins[key] ?? 'The config file'}: ${key} is not an option of serial-flash${hint ? ` (did you mean ${hint}?)` : ''}; fix or remove it.`);
  }
  for (const { variable, name } of variables) {
    const hint = isKnown(name) ? undefined : nearest(name);
    if (hint) throw new InputError('UNKNOWN_SETTING', `${variable} is not an option of serial-flash (did you mean ${envName(hint)}?); fix or unset it.`);
  }
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
