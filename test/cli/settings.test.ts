/**
 * Defaults from the environment and config files, their precedence (command line >
 * environment > config file > built-in), and shell completion. The dry run's plan shows what
 * was chosen without touching a port.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, onCommandLine } from '../../src/cli/settings.js';
import { fixture, runCli } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const IMAGE = fixture('photon-user-part.bin');
/** A port no machine has: a dry run never opens it. */
const NO_PORT = '/dev/serial-flash-test-none';

interface Plan {
  port: string;
  target: string;
  baudRate?: number;
  blockSize: number;
}

/** A project directory with a config file, and a subdirectory to run from (the search goes upward). */
function project(files: Record<string, unknown>): { root: string; sub: string } {
  const root = tempDir('config');
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, name), typeof content === 'string' ? content : JSON.stringify(content));
  const sub = join(root, 'src', 'app');
  mkdirSync(sub, { recursive: true });
  return { root, sub };
}

async function planOf(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Plan> {
  const run = await runCli([...args, '--dry-run', '--json'], { ...options, env: { ...cleanEnv(), ...options.env } });
  assert.equal(run.code, 0, run.stderr);
  const plan = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Plan & { type: string }).find((line) => line.type === 'plan');
  assert.ok(plan, run.stdout);
  return plan;
}

/** The test's own environment must not leak SERIAL_FLASH_* settings into the child. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.keys(process.env).filter((key) => key.startsWith('SERIAL_FLASH_')).map((key) => [key, undefined]));
}

test('precedence: command line > environment > config file > built-in defaults', async () => {
  const { sub } = project({ '.serial-flashrc': { baud: 9600, target: 'ymodem', 'block-size': 128 } });
  const builtIn = await planOf([NO_PORT, IMAGE], { cwd: tmpdir() });
  assert.deepEqual([builtIn.baudRate, builtIn.target, builtIn.blockSize], [115200, 'particle', 1024]);

  const fromFile = await planOf([NO_PORT, IMAGE], { cwd: sub });
  assert.deepEqual([fromFile.baudRate, fromFile.target, fromFile.blockSize], [9600, 'ymodem', 128]);

  const fromEnv = await planOf([NO_PORT, IMAGE], { cwd: sub, env: { SERIAL_FLASH_BAUD: '19200', SERIAL_FLASH_TARGET: 'particle' } });
  assert.deepEqual([fromEnv.baudRate, fromEnv.target, fromEnv.blockSize], [19200, 'particle', 128]);

  const typed = await planOf([NO_PORT, IMAGE, '--baud', '38400', '-t', 'ymodem'], { cwd: sub, env: { SERIAL_FLASH_BAUD: '19200', SERIAL_FLASH_TARGET: 'particle' } });
  assert.deepEqual([typed.baudRate, typed.target, typed.blockSize], [38400, 'ymodem', 128]);
});

test('SERIAL_FLASH_PORT stands in for PORT when only FILE is given; a typed PORT wins', async () => {
  const env = { SERIAL_FLASH_PORT: '/dev/serial-flash-from-env' };
  assert.equal((await planOf([IMAGE], { env, cwd: tmpdir() })).port, '/dev/serial-flash-from-env');
  assert.equal((await planOf([NO_PORT, IMAGE], { env, cwd: tmpdir() })).port, NO_PORT);
});

test('the serial-flash key of package.json is read; .serial-flashrc beside it wins', async () => {
  const pkg = { name: 'my-firmware', 'serial-flash': { port: '/dev/serial-flash-from-package', baud: 57600, target: 'ymodem' } };
  const onlyPackage = project({ 'package.json': pkg });
  const plan = await planOf([IMAGE], { cwd: onlyPackage.sub });
  assert.deepEqual([plan.port, plan.baudRate, plan.target], ['/dev/serial-flash-from-package', 57600, 'ymodem']);

  const both = project({ 'package.json': pkg, '.serial-flashrc': { baud: 230400 } });
  const merged = await planOf([IMAGE], { cwd: both.sub });
  assert.deepEqual([merged.port, merged.baudRate, merged.target], ['/dev/serial-flash-from-package', 230400, 'ymodem']);
  assert.deepEqual(loadConfig(both.sub).sources, [`${join(both.root, 'package.json')} ("serial-flash")`, join(both.root, '.serial-flashrc')]);
});

test('settings a command does not take are ignored from the environment and files, refused when typed', async () => {
  const { sub } = project({ '.serial-flashrc': { target: 'particle', baud: 9600 } });
  const listed = await runMain(['list', '--json'], undefined, { cwd: sub });
  assert.equal(listed.code, 0, listed.stderr);
  const child = await runCli(['list', '--json'], { cwd: sub, env: { ...cleanEnv(), SERIAL_FLASH_TARGET: 'particle', SERIAL_FLASH_BLOCK_SIZE: '128' } });
  assert.equal(child.code, 0, child.stderr);
  const typed = await runMain(['list', '--target', 'particle'], undefined, { cwd: sub });
  assert.equal(typed.code, 2);
  assert.match(typed.stderr, /Unknown argument: target/);
});

test('a config file that is not JSON is a usage error naming the file', async () => {
  const { root, sub } = project({ '.serial-flashrc': '{ baud: 9600 ' });
  const run = await runMain([NO_PORT, IMAGE, '--dry-run'], undefined, { cwd: sub });
  assert.equal(run.code, 2);
  assert.match(run.stderr, new RegExp(`${join(root, '.serial-flashrc').replaceAll('/', '\\/')} is not valid JSON`));
  const notObject = project({ '.serial-flashrc': '[1, 2]' });
  const run2 = await runMain([NO_PORT, IMAGE, '--dry-run'], undefined, { cwd: notObject.sub });
  assert.equal(run2.code, 2);
  assert.match(run2.stderr, /must hold a JSON object/);
});

test('a bad value from the environment is refused like a typed one, naming the option', async () => {
  const run = await runCli([NO_PORT, IMAGE, '--dry-run'], { cwd: tmpdir(), env: { ...cleanEnv(), SERIAL_FLASH_TARGET: 'esp32' } });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /target/);
});

test('`serial-flash completion` prints a bash/zsh completion script, and completions name the commands', async () => {
  const script = await runCli(['completion']);
  assert.equal(script.code, 0, script.stderr);
  assert.match(script.stdout, /###-begin-serial-flash-completions-###/);
  assert.match(script.stdout, /complete .*serial-flash/);
  assert.equal(script.stderr, '');
  const words = await runCli(['--get-yargs-completions', 'serial-flash', 'li']);
  assert.equal(words.code, 0, words.stderr);
  assert.ok(words.stdout.split('\n').includes('list'), words.stdout);
});

test('onCommandLine tells a typed option from one that came from elsewhere', () => {
  assert.equal(onCommandLine(['a.bin', '--port', '/dev/x'], 'port', ['p']), true);
  assert.equal(onCommandLine(['a.bin', '--port=/dev/x'], 'port', ['p']), true);
  assert.equal(onCommandLine(['a.bin', '-p', '/dev/x'], 'port', ['p']), true);
  assert.equal(onCommandLine(['a.bin', '--portable'], 'port', ['p']), false);
  assert.equal(onCommandLine(['/dev/port', 'a.bin'], 'port', ['p']), false);
});

test('a misspelled setting in a config file or the environment is refused before any device is touched, naming the option meant', async () => {
  const { sub } = project({ '.serial-flashrc': { adress: '0x08020000' } });
  const file = await runMain([NO_PORT, IMAGE, '--dry-run'], undefined, { cwd: sub });
  assert.equal(file.code, 2, file.stderr);
  assert.match(file.stderr, /\.serial-flashrc in .*: adress is not an option of serial-flash \(did you mean address\?\)/);
  const unknown = project({ '.serial-flashrc': { frobnicate: 1 } });
  const run = await runMain(['list'], undefined, { cwd: unknown.sub });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /frobnicate is not an option of serial-flash; fix or remove it\./);
  // A setting another command takes is no typo: `list` runs with emulate's --profile in the file.
  const other = project({ '.serial-flashrc': { profile: 'photon' } });
  assert.equal((await runMain(['list'], undefined, { cwd: other.sub })).code, 0);
  const env = await runCli([NO_PORT, IMAGE, '--dry-run'], { cwd: tmpdir(), env: { ...cleanEnv(), SERIAL_FLASH_TAGET: 'uboot' } });
  assert.equal(env.code, 2, env.stderr);
  assert.match(env.stderr, /SERIAL_FLASH_TAGET is not an option of serial-flash \(did you mean SERIAL_FLASH_TARGET\?\)/);
});

test('a switch set to anything but true or false is refused, not read as false: SERIAL_FLASH_VERIFY=1 must not mean "do not verify"', async () => {
  for (const value of ['1', 'yes', 'TRUE']) {
    const run = await runCli([NO_PORT, IMAGE, '--dry-run'], { cwd: tmpdir(), env: { ...cleanEnv(), SERIAL_FLASH_FORCE: value } });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`SERIAL_FLASH_FORCE=${value} must be true or false`));
  }
  const ok = await runCli([NO_PORT, IMAGE, '--dry-run'], { cwd: tmpdir(), env: { ...cleanEnv(), SERIAL_FLASH_FORCE: 'true' } });
  assert.equal(ok.code, 0, ok.stderr);
  const { sub } = project({ '.serial-flashrc': { verify: 'yes' } });
  const file = await runMain(['list'], undefined, { cwd: sub });
  assert.equal(file.code, 2, file.stderr);
  assert.match(file.stderr, /verify must be true or false, not "yes"/);
});
