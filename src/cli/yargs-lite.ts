/**
 * yargs on a lighter platform layer, because start-up is part of every run.
 *
 * `import yargs from 'yargs'` loads its Node platform shim, and through cliui the packages
 * string-width, wrap-ansi, strip-ansi, emoji-regex and get-east-asian-width: about 40 modules,
 * and measuring every help cell with Intl.Segmenter and a fresh emoji regex. Our texts are
 * plain ASCII, so this builds the same yargs (its own factory, parser, cliui layout and
 * English strings) with a code-point width and a small word wrapper. Those are internal files
 * yargs does not export, so this is done only for the exact version it was checked against
 * (package.json pins it, and a test compares the help both ways); any other version, or a
 * layout that fails to load, gets the regular import.
 */
import { notStrictEqual, strictEqual } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import type { Argv } from 'yargs';

export type YargsFactoryFn = (argv?: readonly string[], cwd?: string) => Argv;

/** The yargs release whose internal files this was written and tested against. */
export const LITE_YARGS_VERSION = '18.2.0';

let loaded: Promise<YargsFactoryFn> | undefined;

/** The yargs function, loaded once. */
export function loadYargs(): Promise<YargsFactoryFn> {
  loaded ??= chooseYargs(installedYargs());
  return loaded;
}

/** The light build for the version it was checked against; the regular import otherwise. */
export async function chooseYargs(installed: { dir: string; version: string } | undefined): Promise<YargsFactoryFn> {
  const regular = async () => (await import('yargs')).default as unknown as YargsFactoryFn;
  if (installed?.version !== LITE_YARGS_VERSION) return regular();
  return loadLite(installed.dir).catch(regular);
}

/** Where the yargs package this module resolves lives, and its version. */
export function installedYargs(): { dir: string; version: string } | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('yargs/package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? { dir: dirname(manifest), version } : undefined;
  } catch {
    return undefined;
  }
}

async function loadLite(yargsDir: string): Promise<YargsFactoryFn> {
  const fromYargs = createRequire(join(yargsDir, 'index.mjs'));
  const load = (path: string) => import(pathToFileURL(path).href);
  const locations = [
    () => join(yargsDir, 'build/lib/yargs-factory.js'),
    () => join(yargsDir, 'build/lib/utils/process-argv.js'),
    () => fromYargs.resolve('yargs-parser'),
    () => join(dirname(fromYargs.resolve('cliui')), 'build/lib/index.js'),
    () => fromYargs.resolve('y18n'),
  ];
  // Settled, not Promise.all: when several fail (a resolve throws, an import rejects), every
  // failure is handled, not just the first.
  const loads = await Promise.allSettled(locations.map(async (locate) => load(locate())));
  const failed = loads.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const [factory, argvBin, parser, layout, i18n] = loads.map((result) => (result as PromiseFulfilledResult<any>).value);
  const cliui = (options: object) => layout.cliui(options, { stringWidth: textWidth, stripAnsi, wrap: wrapText });
  const y18n = (i18n.default ?? i18n) as (options: object) => unknown;
  const shim = {
    assert: { notStrictEqual, strictEqual },
    cliui,
    findUp,
    getEnv: (key: string) => process.env[key],
    inspect,
    getProcessArgvBin: argvBin.getProcessArgvBin,
    // Where the installed package lives (yargs reads its package.json for --version).
    mainFilename: yargsDir.slice(0, yargsDir.lastIndexOf('node_modules')) || process.cwd(),
    Parser: parser.default ?? parser,
    path: { basename, dirname, extname, relative, resolve, join },
    process: {
      argv: () => process.argv,
      cwd: process.cwd,
      emitWarning: (warning: string, type?: string) => process.emitWarning(warning, type),
      execPath: () => process.execPath,
      exit: (code: number) => process.exit(code),
      nextTick: process.nextTick,
      stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null,
    },
    readFileSync,
    readdirSync,
    require: fromYargs,
    getCallerFile: () => {
      throw new Error('commandDir is not used by serial-flash');
    },
    stringWidth: textWidth,
    y18n: y18n({ directory: join(yargsDir, 'locales'), updateFiles: false }),
  };
  return factory.YargsFactory(shim) as YargsFactoryFn;
}

const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

function stripAnsi(text: string): string {
  return text.replace(ANSI_ESCAPE, '');
}

/** Columns a string takes: one per code point (the help text is plain ASCII and a few dashes). */
export function textWidth(text: string): number {
  let width = 0;
  for (const _ of stripAnsi(text)) width++;
  return width;
}

/**
 * Greedy word wrap for help cells: keeps the spaces inside a line, trims the ends of each row,
 * keeps existing line breaks, and splits a word longer than a row where it saves a line.
 */
export function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => wrapLine(line, Math.max(1, width)).join('\n'))
    .join('\n');
}

function wrapLine(line: string, width: number): string[] {
  const rows: string[] = [];
  let row = '';
  for (const word of line.split(' ')) {
    const wordWidth = textWidth(word);
    const rowWidth = textWidth(row);
    const joined = row === '' ? word : `${row} ${word}`;
    if (textWidth(joined) <= width || wordWidth === 0) {
      row = joined;
      continue;
    }
    if (wordWidth > width) {
      // Start it on this row only when that does not cost an extra row.
      const room = row === '' ? width : width - rowWidth - 1;
      const rowsFromHere = room > 0 ? 1 + Math.ceil((wordWidth - room) / width) : Infinity;
      let rest = [...word];
      if (rowsFromHere <= Math.ceil(wordWidth / width) && row !== '') {
        row = `${row} ${rest.slice(0, room).join('')}`;
        rest = rest.slice(room);
      }
      if (row !== '') rows.push(row);
      while (rest.length > width) {
        rows.push(rest.slice(0, width).join(''));
        rest = rest.slice(width);
      }
      row = rest.join('');
      continue;
    }
    rows.push(row);
    row = word;
  }
  rows.push(row);
  return rows.map((r) => r.trim());
}

/** Walks up from `start` until `match` names a file in a directory (yargs looks for package.json). */
function findUp(start: string, match: (dir: string, names: string[]) => string | undefined): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // An unreadable directory on the way up: keep climbing.
    }
    const found = match(dir, names);
    if (found) return resolve(dir, found);
    if (dirname(dir) === dir) return undefined;
  }
}
