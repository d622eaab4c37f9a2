/**
 * What the flasher says about a port that is busy, a receiver that does not ask, a device
 * that left listening mode, and how fast it went — through the real command line against
 * `serial-flash emulate` and small scripted bridges.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { fixture, runCli } from '../helpers/cli.js';
import { jsonLinesOf, resultOf, startEmulate } from '../helpers/emulate.js';

const IMAGE = fixture('photon-user-part.bin');

/** A TCP server that greets each client with `greeting` (and closes it, when `close`). */
async function scriptedBridge(greeting: string, close: boolean): Promise<{ url: string; server: Server }> {
  const clients = new Set<Socket>();
  const server = createServer((socket) => {
    clients.add(socket);
    socket.on('close', () => clients.delete(socket));
    socket.on('error', () => undefined);
    socket.write(greeting);
    if (close) socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  server.once('close', () => clients.forEach((socket) => socket.destroy()));
  return { url: `tcp://127.0.0.1:${port}`, server };
}

/** Runs `use` against a scripted bridge, closed afterwards whatever happens. */
async function withBridge(greeting: string, close: boolean, use: (url: string) => Promise<void>): Promise<void> {
  const { url, server } = await scriptedBridge(greeting, close);
  try {
    await use(url);
  } finally {
    await closeServer(server);
  }
}

function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.emit('close'); // drop the clients, or close() waits for them
  return closed;
}

/** A client that holds the emulated Photon's one connection until released. */
async function holdPort(url: string): Promise<Socket> {
  const [host, port] = url.replace('tcp://', '').split(':');
  const socket = connect({ host, port: Number(port) });
  socket.on('error', () => undefined);
  // Its answer to `v` (the listening console's version key) proves the emulator serves this client.
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('v');
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  return socket;
}

test('an emulator whose one connection is taken: "in use", exit 3; --wait waits until it is free', async () => {
  const emulator = await startEmulate(['--listening', '--stay-listening', '--time-scale', '0.1']);
  try {
    const holder = await holdPort(emulator.url);
    const busy = await runCli([emulator.url, IMAGE]);
    assert.equal(busy.code, 3, busy.stderr);
    assert.match(busy.stderr, /another client holds the port/);
    assert.match(busy.stderr, /--wait/);
    assert.doesNotMatch(busy.stderr, /disconnected after 0 of/);

    // Released once the flasher says it is waiting: the flash goes through.
    const waited = await runCli([emulator.url, IMAGE, '--wait', '20'], {
      onSpawn: (child) => {
        let said = '';
        child.stdout?.on('data', (data: Buffer) => /trying again/.test((said += data)) && holder.destroy());
      },
    });
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /in use or restarting; trying again/);
    assert.match(waited.stdout, /Flashed 4004 bytes/);
  } finally {
    emulator.interrupt();
    await emulator.exited;
  }
});

test('a ser2net-style bridge that says "Port already in use" and hangs up: exit 3, quoting it', async () => {
  await withBridge('Port already in use\r\n', true, async (url) => {
    const run = await runCli([url, IMAGE]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /"Port already in use"/);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    const json = await runCli([url, IMAGE, '--json']);
    assert.equal(resultOf(json.stdout).code, 'PORT_BUSY');
  });
});

test('a U-Boot prompt where a YMODEM receiver was expected: a step while waiting, and "add -t uboot"', async () => {
  await withBridge('U-Boot 2024.01 (Jan 08 2024 - 10:00:00 +0000)\r\n\r\n=> ', false, async (url) => {
    const run = await runCli([url, IMAGE, '-t', 'ymodem', '--start-timeout', '7']);
    assert.equal(run.code, 1, run.stderr);
    // While it waited (after 5 s), and in the failure.
    assert.match(run.stdout, /no request from the receiver after 5 s; .*U-Boot.*add -t uboot/);
    assert.match(run.stderr, /looks like U-Boot.*add -t uboot/);
  });
});

test('a receiver that stays silent: the step says what it waits for (for the protocol asked) and what to check', async () => {
  await withBridge('', false, async (url) => {
    const run = await runCli([url, IMAGE, '-t', 'ymodem', '--start-timeout', '6']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /no request from the receiver after 5 s; it must already be waiting for a YMODEM upload \(start rb.*\(--baud\).*-t uboot/);
    assert.match(run.stderr, /did not ask for the file within 6 s; make sure it is waiting for a YMODEM upload and that the line runs at its rate \(--baud\)/);
  });
  await withBridge('', false, async (url) => {
    const run = await runCli([url, IMAGE, '-t', 'ymodem', '--protocol', 'xmodem', '--start-timeout', '6']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /it must already be waiting for an XMODEM upload \(start rx/);
  });
});

test('the emulated Photon can stay listening, so the try-it flash works twice; without it, the message says how', async () => {
  const staying = await startEmulate(['--stay-listening', '--time-scale', '0.1']);
  try {
    for (const round of [1, 2]) {
      const run = await runCli([staying.url, IMAGE, '--wait', '20']);
      assert.equal(run.code, 0, `flash ${round}: ${run.stderr}`);
    }
  } finally {
    staying.interrupt();
    await staying.exited;
  }
  const once = await startEmulate(['--listening', '--time-scale', '0.1']);
  try {
    assert.equal((await runCli([once.url, IMAGE])).code, 0);
    const again = await runCli([once.url, IMAGE, '--wait', '20', '--timeout', '2']);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /serial-flash emulate: press l in its terminal, or start it with --stay-listening/);
  } finally {
    once.interrupt();
    const { stderr } = await once.exited;
    assert.match(stderr, /--stay-listening for listening mode/);
  }
});

test('the transfer rate and the total time are two named figures, the same in JSON', async () => {
  const emulator = await startEmulate(['--stay-listening', '--time-scale', '0.1']);
  try {
    const human = await runCli([emulator.url, IMAGE]);
    assert.equal(human.code, 0, human.stderr);
    const timing = /transfer (\d+\.\d+) s at ([\d.]+ (?:B|KiB|MiB)\/s); (\d+\.\d+) s in all/.exec(human.stdout);
    assert.ok(timing, human.stdout);
    assert.ok(Number(timing[1]) <= Number(timing[3]), human.stdout);

    const json = await runCli([emulator.url, IMAGE, '--json', '--wait', '20']);
    assert.equal(json.code, 0, json.stderr);
    const result = resultOf(json.stdout);
    assert.equal(typeof result.transferSeconds, 'number');
    assert.equal(typeof result.transferBytesPerSecond, 'number');
    assert.ok((result.transferSeconds as number) < (result.seconds as number), JSON.stringify(result));
    // transferSeconds is rounded to the millisecond; the rate is not.
    const seconds = result.transferSeconds as number;
    const rate = (result.bytes as number) / seconds;
    assert.ok(Math.abs(rate - (result.transferBytesPerSecond as number)) <= (rate * 0.0006) / seconds + 1, JSON.stringify(result));
    assert.ok(jsonLinesOf(json.stdout).length > 1);
  } finally {
    emulator.interrupt();
    await emulator.exited;
  }
});

test('several devices on a non-terminal: the port once per line, DEVICE names the device, table rows fit 80 columns', async () => {
  const emulator = await startEmulate(['--stay-listening', '--time-scale', '0.1']);
  try {
    await withBridge('Port already in use\r\n', true, async (busyUrl) => {
      const run = await runCli([IMAGE, '-p', emulator.url, '-p', busyUrl]);
      assert.equal(run.code, 3, run.stderr); // the one failure's own exit code
      const lines = run.stdout.split('\n').filter(Boolean);
      for (const line of lines) {
        for (const port of [emulator.url, busyUrl]) assert.ok(line.split(port).length <= 2, `the port twice: ${line}`);
      }
      const header = lines.findIndex((line) => /^PORT\s+DEVICE\s+SECONDS\s+RESULT$/.test(line));
      assert.ok(header >= 0, run.stdout);
      const rows = lines.slice(header + 1, header + 3);
      for (const row of [lines[header]!, ...rows]) assert.ok(row.length <= 80, `${row.length} columns: ${row}`);
      assert.match(rows.find((row) => row.startsWith(`${emulator.url} `))!, /\bPhoton\b.*\bok$/);
      assert.match(rows.find((row) => row.startsWith(`${busyUrl} `))!, /failed \(exit 3\)$/);
      // The failure's sentence, after the table.
      assert.ok(lines.slice(header + 3).some((line) => line.startsWith(`${busyUrl}: `) && /Port already in use/.test(line)), run.stdout);
    });
  } finally {
    emulator.interrupt();
    await emulator.exited;
  }
});

test('refusals are listed as sentences; with --force the plan says which address is used and why', async () => {
  const refused = await runCli(['/dev/serial-flash-test-none', IMAGE, '-t', 'particle', '-a', '0x08004000', '--dry-run']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.doesNotMatch(refused.stderr, /and \d+ more/);
  assert.match(refused.stderr, /device keys.*Also: .*built for 0x080A0000/);
  const forced = await runCli(['/dev/serial-flash-test-none', IMAGE, '-t', 'particle', '-a', '0x08004000', '--dry-run', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /Address: 0x080A0000 \(.*--address 0x08004000 is not used\)/);
});
