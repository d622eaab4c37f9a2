/**
 * Usage mistakes a new user makes, through the real command line: each ends with exit 2 and a
 * sentence that points the right way (checked by meaning: the words that matter, not the text).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixture, runCli } from '../helpers/cli.js';

const IMAGE = fixture('photon-user-part.bin');
const dir = mkdtempSync(join(tmpdir(), 'serial-flash-usage-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The test's own environment must not leak SERIAL_FLASH_* settings into the child. */
const cleanEnv = Object.fromEntries(Object.keys(process.env).filter((key) => key.startsWith('SERIAL_FLASH_')).map((key) => [key, undefined]));
const cli = (args: string[], env: NodeJS.ProcessEnv = {}, cwd = dir) => runCli(args, { env: { ...cleanEnv, ...env }, cwd });

/** One line on stderr, no stack trace, no internal code. */
function assertOneSentence(stderr: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.doesNotMatch(stderr, /\bat .*\.js:\d+|code: USAGE/, stderr);
}

test('port and file swapped: suggests the command the other way round', async () => {
  // /dev/null is a character device like a serial port; the image is a regular file.
  const run = await cli([IMAGE, '/dev/null']);
  assert.equal(run.code, 2, run.stderr);
  assertOneSentence(run.stderr);
  assert.match(run.stderr, /did you mean serial-flash \/dev\/null \S*photon-user-part\.bin\?/);
});

test('a port without a file: asks for the firmware file for that port', async () => {
  for (const port of ['/dev/ttyACM0', 'tcp://127.0.0.1:2000']) {
    const run = await cli([port]);
    assert.equal(run.code, 2, run.stderr);
    assertOneSentence(run.stderr);
    assert.match(run.stderr, /firmware file/i);
    assert.ok(run.stderr.includes(`${port} firmware.bin`), run.stderr);
    assert.doesNotMatch(run.stderr, /does not exist/);
  }
});

test('`info` with no device found shows an info example, not the flash command', async () => {
  const run = await cli(['info']);
  assert.notEqual(run.code, 0);
  assertOneSentence(run.stderr);
  assert.match(run.stderr, /serial-flash info \/dev\//);
  assert.doesNotMatch(run.stderr, /firmware\.bin/);
});

test('`list --verbose` is accepted', async () => {
  const run = await cli(['list', '--verbose']);
  assert.equal(run.code, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /Unknown argument|code:/);
});

test('an option typed without its value is a usage error, not its default', async () => {
  for (const args of [[IMAGE, '-t'], [IMAGE, '--target', '--dry-run'], ['/dev/null', IMAGE, '-a']]) {
    const run = await cli(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assertOneSentence(run.stderr);
    assert.match(run.stderr, /needs a value/);
  }
  const target = await cli([IMAGE, '-t']);
  assert.match(target.stderr, /--target.*auto.*uboot/);
});

test('--trigger with an unknown placeholder is refused, naming the known ones', async () => {
  const run = await cli(['/dev/serial-flash-test-none', IMAGE, '--trigger', 'loadx {bogus}', '--dry-run']);
  assert.equal(run.code, 2, run.stderr);
  assertOneSentence(run.stderr);
  assert.match(run.stderr, /\{bogus\}/);
  for (const known of ['{address}', '{size}', '{name}']) assert.ok(run.stderr.includes(known), run.stderr);
  const fine = await cli(['/dev/serial-flash-test-none', IMAGE, '--trigger', 'loadx {address} {size}', '-a', '0x80000000', '--dry-run']);
  assert.equal(fine.code, 0, fine.stderr);
});

test('emulate --image into a folder that does not exist fails at start, exit 2', async () => {
  const started = Date.now();
  const run = await cli(['emulate', '--image', '/nonexistent/x.bin']);
  assert.equal(run.code, 2, run.stderr);
  assertOneSentence(run.stderr);
  assert.match(run.stderr, /\/nonexistent/);
  assert.doesNotMatch(run.stderr, /Unexpected|ENOENT|Serving/);
  assert.ok(Date.now() - started < 30_000);
});

test('a setting from the environment or a config file is named by where it came from', async () => {
  const fromEnv = await cli(['/dev/serial-flash-test-none', IMAGE, '--dry-run'], { SERIAL_FLASH_TARGET: 'esp32' });
  assert.equal(fromEnv.code, 2, fromEnv.stderr);
  assert.match(fromEnv.stderr, /SERIAL_FLASH_TARGET=esp32/);
  assert.doesNotMatch(fromEnv.stderr, /--target/);

  const project = mkdtempSync(join(dir, 'project-'));
  writeFileSync(join(project, '.serial-flashrc'), JSON.stringify({ baud: 5 }));
  const fromFile = await cli(['/dev/serial-flash-test-none', IMAGE, '--dry-run'], {}, project);
  assert.equal(fromFile.code, 2, fromFile.stderr);
  assert.ok(fromFile.stderr.includes(`.serial-flashrc in ${project}: baud`), fromFile.stderr);
  assert.doesNotMatch(fromFile.stderr, /--baud/);

  writeFileSync(join(project, '.serial-flashrc'), JSON.stringify({ port: '/dev/serial-flash-test-none', target: 'ymodem' }));
  const plan = await cli([IMAGE, '--dry-run'], {}, project);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, new RegExp(`Port: .*\\(from \\.serial-flashrc in ${project}: port\\)`));
  assert.match(plan.stdout, new RegExp(`Target: .*\\(from \\.serial-flashrc in ${project}: target\\)`));
  assert.doesNotMatch(plan.stdout, /as given|\(--target\)/);

  const typed = await cli(['/dev/serial-flash-test-none', IMAGE, '--dry-run', '--baud', '5']);
  assert.match(typed.stderr, /--baud/);
});

test('one byte is "1 byte"', async () => {
  const tiny = join(dir, 'tiny.bin');
  writeFileSync(tiny, 'x');
  const run = await cli(['/dev/serial-flash-test-none', tiny, '-t', 'ymodem', '--dry-run']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /tiny\.bin, 1 byte\b/);
  assert.doesNotMatch(run.stdout, /1 bytes/);
});

test('completion: --help explains it; Tab offers no $0, and the options of the command being typed', async () => {
  const help = await cli(['completion', '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.equal(help.stderr, '');
  assert.match(help.stdout, /~\/\.bashrc/);
  assert.doesNotMatch(help.stdout, /###-begin/);

  const words = async (...typed: string[]) => (await cli(['--get-yargs-completions', 'serial-flash', ...typed])).stdout.split('\n').filter(Boolean);
  const first = await words('');
  assert.ok(!first.includes('$0'), first.join(' '));
  assert.ok(first.includes('emulate') && first.includes('list'), first.join(' '));
  const flashOptions = await words('--');
  for (const option of ['--target', '--port', '--dry-run', '--baud', '--json']) assert.ok(flashOptions.includes(option), flashOptions.join(' '));
  assert.ok(!flashOptions.some((word) => /^--.$/.test(word)), flashOptions.join(' '));
  const emulateOptions = await words('emulate', '--');
  assert.ok(emulateOptions.includes('--profile') && !emulateOptions.includes('--target'), emulateOptions.join(' '));
  assert.deepEqual(await words('-t', 'u'), ['uboot']);
  assert.deepEqual(await words('/dev/ttyACM0', ''), [], 'after the port, file names (the shell completes them)');
});

test('a malformed port name is a usage error (exit 2), found before anything is opened', async () => {
  for (const port of ['tcp://localhost', 'http://example.com', 'tcp://127.0.0.1:2000/ttyUSB0', 'rfc2217://host']) {
    const run = await cli([port, IMAGE, '-t', 'ymodem']);
    assert.equal(run.code, 2, `${port}: ${run.stderr}`);
    assertOneSentence(run.stderr);
    assert.match(run.stderr, /tcp:\/\/host:port|rfc2217:\/\/host:port/);
  }
  // Among several ports: refused before the good one is flashed.
  const several = await cli([IMAGE, '-p', '/dev/serial-flash-test-none', '-p', 'tcp://nowhere', '-t', 'ymodem']);
  assert.equal(several.code, 2, several.stderr);
  assert.match(several.stderr, /tcp:\/\/nowhere/);
});

test('a mistyped command is named as one, not taken for a missing firmware file', async () => {
  for (const [typed, meant] of [['lsit', 'list'], ['infp', 'info'], ['emulte', 'emulate']] as const) {
    const run = await cli([typed]);
    assert.equal(run.code, 2, `${typed}: ${run.stderr}`);
    assertOneSentence(run.stderr);
    assert.match(run.stderr, new RegExp(`did you mean serial-flash ${meant}\\?`));
    assert.doesNotMatch(run.stderr, /does not exist/);
  }
  // A file of that name is flashed as asked (here: refused for its content, not as a typo).
  writeFileSync(join(dir, 'lsit'), 'not firmware');
  const file = await cli(['lsit', '--dry-run']);
  assert.doesNotMatch(file.stderr, /did you mean/);
});

test('a usage mistake in a command points to that command\'s help', async () => {
  const emulate = await cli(['emulate', '-p', 'esp32']);
  assert.equal(emulate.code, 2, emulate.stderr);
  assertOneSentence(emulate.stderr);
  assert.match(emulate.stderr, /\(see serial-flash emulate --help\)\.$/m);
  const list = await cli(['list', '--bogus']);
  assert.match(list.stderr, /\(see serial-flash list --help\)\.$/m);
  const flash = await cli([IMAGE, '--bogus']);
  assert.match(flash.stderr, /\(see serial-flash --help\)\.$/m);
});

test('a target\'s aliases are accepted where its name is (-t core, -t generic), and --help lists them', async () => {
  for (const [alias, file, target] of [['core', fixture('core-app-0x08005000.bin'), 'spark-core'], ['generic', IMAGE, 'ymodem']] as const) {
    const run = await cli(['/dev/null', file, '-t', alias, '--dry-run']);
    assert.equal(run.code, 0, `${alias}: ${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^Target: +${target} \\(--target\\)`, 'm'));
  }
  const help = await cli(['--help']);
  assert.match(help.stdout.replace(/\s+/g, ' '), /also -t generic/);
});

test('a mistyped option is named with the option it was probably meant to be', async () => {
  for (const [args, meant] of [[[IMAGE, '--tagret', 'uboot'], '--target'], [['list', '--verbos'], '--verbose'], [['emulate', '--profil', 'photon'], '--profile']] as const) {
    const run = await cli([...args]);
    assert.equal(run.code, 2, run.stderr);
    assertOneSentence(run.stderr);
    assert.match(run.stderr, new RegExp(`Unknown argument: \\w+; did you mean ${meant}\\?`));
  }
  assert.doesNotMatch((await cli([IMAGE, '--frobnicate'])).stderr, /did you mean/);
});
