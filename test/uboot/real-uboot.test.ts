/**
 * serial-flash into a real U-Boot (Debian's u-boot-qemu under QEMU, its console on a pty):
 * a verified loady, a load the user cancels, and the switch to a transfer rate. Each test
 * checks the board afterwards through its own console: memory, the prompt, and that nothing
 * was typed into the console after the load.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import crc32 from 'crc/calculators/crc32';
import { runCli } from '../helpers/cli.js';
import { testData } from '../helpers/test-data.js';
import { LOAD_ADDRESS, type RealUBoot, realUBootMissing, startRealUBoot } from '../helpers/uboot-console.js';

const skip = realUBootMissing();
const hex = (n: number) => n.toString(16);
const hex8 = (n: number) => hex(n >>> 0).padStart(8, '0');

/** A U-Boot in QEMU and a temporary folder for the suite; both gone after it. */
function realUBootPerSuite(): { uboot: RealUBoot; dir: string } {
  const context = {} as { uboot: RealUBoot; dir: string };
  before(async () => {
    context.dir = mkdtempSync(join(tmpdir(), 'serial-flash-uboot-'));
    context.uboot = await startRealUBoot();
  });
  after(async () => {
    await context.uboot?.stop();
    if (context.dir) rmSync(context.dir, { recursive: true, force: true });
  });
  return context;
}

describe('serial-flash into a real U-Boot', { skip }, () => {
  const suite = realUBootPerSuite();

  test('loady: the load is verified with U-Boot crc32, device text comes in whole lines, and nothing is typed after it', async () => {
    const data = testData(100_001, 21);
    const file = join(suite.dir, 'image.bin');
    writeFileSync(file, data);
    const run = await runCli([suite.uboot.path, file, '-t', 'uboot', '-a', `0x${hex(LOAD_ADDRESS)}`], { timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const command = `crc32 ${hex(LOAD_ADDRESS)} ${hex(data.length)}`;
    assert.match(run.stdout, new RegExp(`verified: the device's "${command}" gives ${hex8(crc32(data))}, the file's CRC-32`));
    const deviceLines = run.stdout.split('\n').filter((line) => line.startsWith('device: '));
    assert.ok(deviceLines.includes(`device: ## Start Addr      = 0x${hex8(LOAD_ADDRESS).toUpperCase()}`), run.stdout);
    for (const line of deviceLines) assert.doesNotMatch(line, /^device: (?:C|##)?\s*$/, 'no protocol bytes, no cut lines');

    const console = await suite.uboot.open();
    try {
      // An echo round trip: the line was empty (stray text would make it an unknown command).
      await console.sync();
      assert.equal(await console.command(command), `crc32 for ${hex8(LOAD_ADDRESS)} ... ${hex8(LOAD_ADDRESS + data.length - 1)} ==> ${hex8(crc32(data))}\r\n`);
      // The command before ours in U-Boot's history is the last one serial-flash typed.
      await console.write('\x1b[A\x1b[A\x1b[A');
      await console.expect(`${command}`);
      await console.write('\x03');
      await console.expect('<INTERRUPT>\r\n=> ');
      assert.equal(await console.command('printenv filesize'), `filesize=${hex(data.length)}\r\n`);
    } finally {
      await console.close();
    }
  });

  test('bug: serial-flash woke the console with Enter, which runs U-Boot\'s last command again (an `sf erase` the user typed); it presses Ctrl-C', async () => {
    const console = await suite.uboot.open();
    try {
      await console.sync();
      // A harmless stand-in for the user's last command: `echo` is repeatable, as `sf` and `mw` are.
      assert.equal(await console.command('echo last-command-ran-again'), 'last-command-ran-again\r\n');
    } finally {
      await console.close();
    }
    const file = join(suite.dir, 'wake.bin');
    writeFileSync(file, testData(3000, 23));
    const run = await runCli([suite.uboot.path, file, '-t', 'uboot', '-a', `0x${hex(LOAD_ADDRESS)}`, '--verbose'], { timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /pressing Ctrl-C to wake the console/);
    assert.doesNotMatch(run.stdout, /last-command-ran-again/, 'the last command did not run again');
  });

  test('--json reports the verification; --no-verify types nothing after the load', async () => {
    const data = testData(5000, 22);
    const file = join(suite.dir, 'small.bin');
    writeFileSync(file, data);
    const address = LOAD_ADDRESS + 0x100000;
    const verified = await runCli([suite.uboot.path, file, '-t', 'uboot', '-a', `0x${hex(address)}`, '--json'], { timeoutMs: 60_000 });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const result = JSON.parse(verified.stdout.trim().split('\n').at(-1)!);
    assert.deepEqual(result.verified, { command: `crc32 ${hex(address)} ${hex(data.length)}`, crc32: hex8(crc32(data)) });

    const unverified = await runCli([suite.uboot.path, file, '-t', 'uboot', '-a', `0x${hex(address)}`, '--json', '--no-verify'], { timeoutMs: 60_000 });
    assert.equal(unverified.code, 0, unverified.stdout + unverified.stderr);
    assert.equal(JSON.parse(unverified.stdout.trim().split('\n').at(-1)!).verified, undefined);
    const console = await suite.uboot.open();
    try {
      await console.sync();
      await console.write('\x1b[A\x1b[A');
      await console.expect(`loady 0x${hex8(address)}`);
      await console.write('\x03');
      await console.expect('<INTERRUPT>\r\n=> ');
    } finally {
      await console.close();
    }
  });

  test('--protocol xmodem with a file that ends in 0x1A bytes: loadx drops them, and the failure says to use YMODEM, not to load again', async () => {
    const data = Buffer.concat([testData(1000, 26), Buffer.alloc(20, 0x1a)]);
    const file = join(suite.dir, 'ends-in-sub.bin');
    writeFileSync(file, data);
    const run = await runCli([suite.uboot.path, file, '-t', 'uboot', '-a', `0x${hex(LOAD_ADDRESS + 0x380000)}`, '--protocol', 'xmodem'], { timeoutMs: 60_000 });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /U-Boot reports 1000 bytes received but 1020 were sent; U-Boot's loadx drops .* so load it with YMODEM \(leave out --protocol\), which sends the size\./);
  });

  for (const protocol of ['xmodem', 'xmodem-1k'] as const) {
    test(`--protocol ${protocol}: loadx, verified with crc32`, async () => {
      const data = testData(protocol === 'xmodem' ? 3001 : 20_000, 25);
      const file = join(suite.dir, `${protocol}.bin`);
      writeFileSync(file, data);
      const address = LOAD_ADDRESS + 0x300000;
      const run = await runCli([suite.uboot.path, file, '-t', 'uboot', '-a', `0x${hex(address)}`, '--protocol', protocol, '--verbose'], { timeoutMs: 60_000 });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, new RegExp(`typing "loadx 0x${hex8(address)}"`));
      assert.match(run.stdout, new RegExp(`device: ## Total Size      = 0x${hex8(data.length)} = ${data.length} Bytes`));
      assert.match(run.stdout, new RegExp(`verified: the device's "crc32 ${hex(address)} ${hex(data.length)}" gives ${hex8(crc32(data))}`));
    });
  }

  test('Ctrl-C in the middle of a load: serial-flash cancels it, U-Boot says "Cancelled" and its prompt comes back', async () => {
    const data = testData(300_000, 23);
    const file = join(suite.dir, 'big.bin');
    writeFileSync(file, data);
    let progressSeen: () => void;
    const progressing = new Promise<void>((resolve) => (progressSeen = resolve));
    const run = runCli([suite.uboot.path, file, '-t', 'uboot', '-a', `0x${hex(LOAD_ADDRESS)}`, '--json'], {
      timeoutMs: 120_000,
      onSpawn: (child) => {
        let seen = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (/"type":"progress"/.test(seen)) progressSeen();
        });
        void progressing.then(() => child.kill('SIGINT'));
      },
    });
    const { code, stdout, stderr } = await run;
    assert.equal(code, 130, stdout + stderr);
    assert.match(stdout + stderr, /cancel/i);
    const console = await suite.uboot.open();
    try {
      await console.sync();
      const previous = await console.command('printenv filesize');
      assert.notEqual(previous, `filesize=${hex(data.length)}\r\n`, 'a cancelled load does not set filesize');
      await console.write('\x1b[A\x1b[A\x1b[A');
      await console.expect(`loady 0x${hex8(LOAD_ADDRESS)}`);
      await console.write('\x03');
      await console.expect('<INTERRUPT>\r\n=> ');
    } finally {
      await console.close();
    }
  });
});

describe('--transfer-baud with a real U-Boot', { skip }, () => {
  const suite = realUBootPerSuite();

  // QEMU's virt board stops answering once U-Boot reprograms its UART (`setenv baudrate` does
  // the same), so this proves the handshake up to the switch and a clean failure after it; the
  // emulated U-Boot and the benchmark show the whole round trip.
  test('loady ADDR RATE: U-Boot offers the switch, serial-flash follows; a board that goes quiet fails in one sentence', async () => {
    const file = join(suite.dir, 'image.bin');
    writeFileSync(file, testData(2000, 24));
    const run = await runCli([suite.uboot.path, file, '-t', 'uboot', '-a', `0x${hex(LOAD_ADDRESS)}`, '--transfer-baud', '921600', '--verbose'], { timeoutMs: 60_000 });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /typing "loady 0x40200000 921600"/);
    assert.match(run.stdout, /device: ## Switch baudrate to 921600 bps and press ENTER \.\.\./);
    assert.match(run.stdout, /switched to 921600 bps for the transfer/);
    assert.match(run.stdout, /back to 115200 bps/);
    assert.match(run.stderr, /^serial-flash: U-Boot switched to 921600 bps but did not answer at that rate; reset the board and try a lower --transfer-baud \(this side is back at 115200 bps\)\.$/m);
  });
});
