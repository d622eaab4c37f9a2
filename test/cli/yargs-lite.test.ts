import { test } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chooseYargs, installedYargs, LITE_YARGS_VERSION, loadYargs, textWidth, wrapText } from '../../src/cli/yargs-lite.js';

function sampleParser(make: (argv: string[]) => Argv, width: number): Argv {
  return make([])
    .scriptName('tool')
    .usage('$0 [PORT] FILE [options]\n\nDo a thing to FILE through PORT, with a long description that has to wrap.')
    .command('$0 [port] [file]', 'the default command, described at some length so it wraps', (y) =>
      y.positional('port', { type: 'string', describe: 'a port' }).positional('file', { type: 'string', describe: 'a file' }),
    )
    .command('list', 'list things')
    .option('target', { alias: 't', type: 'string', choices: ['auto', 'a-long-choice', 'another'], default: 'auto', describe: 'which kind of device it is, decided automatically unless named' })
    .option('block-size', { type: 'number', choices: [128, 1024], default: 1024, describe: 'block size' })
    .option('averyveryverylongoptionnamethatdoesnotfit', { type: 'boolean', describe: 'x' })
    .example('$0 /dev/ttyACM0 firmware.bin', 'flash it (listening mode is entered for you, which takes a moment)')
    .epilogue('Exit codes:\n  0    fine\n  130  interrupted — the device was told to discard the transfer')
    .help()
    .wrap(width)
    .exitProcess(false);
}

for (const width of [40, 72, 100]) {
  test(`help laid out by the light yargs is identical to yargs' own at ${width} columns`, async () => {
    const lite = await loadYargs();
    const expected = await sampleParser(yargs as unknown as (argv: string[]) => Argv, width).getHelp();
    const actual = await sampleParser(lite as unknown as (argv: string[]) => Argv, width).getHelp();
    assert.equal(actual, expected);
  });
}

test('the light yargs parses like yargs', async () => {
  const lite = await loadYargs();
  const args = await lite(['--block-size', '128', '-t', 'ymodem', 'a', 'b']).option('block-size', { type: 'number' }).option('target', { alias: 't', type: 'string' }).parseAsync();
  assert.equal(args.blockSize, 128);
  assert.equal(args.target, 'ymodem');
  assert.deepEqual(args._, ['a', 'b']);
});

test('textWidth counts code points and ignores colour codes', () => {
  assert.equal(textWidth(''), 0);
  assert.equal(textWidth('abc'), 3);
  assert.equal(textWidth('a — b'), 5);
  assert.equal(textWidth('\u001b[1mbold\u001b[22m'), 4);
});

test('wrapText keeps inner spaces and line breaks, trims row ends and splits overlong words', () => {
  assert.equal(wrapText('0    flashed fine', 40), '0    flashed fine');
  assert.equal(wrapText('one two three four', 9), 'one two\nthree\nfour');
  assert.equal(wrapText('a\nb c', 3), 'a\nb c');
  assert.equal(wrapText('abcdefghij', 4), 'abcd\nefgh\nij');
  assert.equal(wrapText('ab cdefgh', 4), 'ab\ncdef\ngh');
  assert.equal(wrapText('abc defghi', 5), 'abc d\nefghi');
  assert.equal(wrapText('word   ', 4), 'word');
});

test('yargs is pinned to the exact version the light build was checked against, and that version is installed', () => {
  const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  assert.equal(manifest.dependencies.yargs, LITE_YARGS_VERSION, 'package.json pins yargs exactly');
  assert.equal(installedYargs()?.version, LITE_YARGS_VERSION);
});

test('another yargs version, or one that is not found, gets the regular import', async () => {
  const regular = (await import('yargs')).default as unknown;
  const dir = installedYargs()!.dir;
  assert.equal(await chooseYargs({ dir, version: '18.3.0' }), regular);
  assert.equal(await chooseYargs(undefined), regular);
  assert.notEqual(await chooseYargs({ dir, version: LITE_YARGS_VERSION }), regular, 'the pinned version gets the light build');
  assert.equal(await chooseYargs({ dir: '/nonexistent', version: LITE_YARGS_VERSION }), regular, 'a layout that fails to load falls back');
});

