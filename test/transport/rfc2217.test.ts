import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { PortError } from '../../src/errors.js';
import { escapeIac, openRfc2217, TelnetDecoder } from '../../src/transport/rfc2217.js';
import { fixture } from '../helpers/cli.js';
import { runMain } from '../helpers/in-process-cli.js';

test('every byte value crosses telnet framing unchanged, however the stream is cut', () => {
  const data = Buffer.from([...Array(256).keys(), 0xff, 0xff, 0x0d, 0x00, 0x0d, 0x0a]);
  const wire = escapeIac(data);
  assert.equal(wire.length, data.length + 3, 'each 0xFF is doubled');
  for (const cut of [1, 2, 3, 7, wire.length]) {
    const decoder = new TelnetDecoder();
    const parts: Buffer[] = [];
    for (let i = 0; i < wire.length; i += cut) parts.push(decoder.decode(wire.subarray(i, i + cut), () => assert.fail('no commands in data')));
    assert.deepEqual(Buffer.concat(parts), data);
  }
});

test('commands and COM-PORT answers are taken out of the data', () => {
  const decoder = new TelnetDecoder();
  const commands: unknown[] = [];
  const wire = Buffer.from([0x41, 0xff, 0xfd, 44, 0x42, 0xff, 0xfa, 44, 101, 0, 0, 0x70, 0x80, 0xff, 0xf0, 0x43, 0xff, 0xff]);
  const data = decoder.decode(wire, (command) => commands.push(command));
  assert.deepEqual(data, Buffer.from([0x41, 0x42, 0x43, 0xff]));
  assert.deepEqual(commands, [
    { verb: 0xfd, option: 44 },
    { option: 44, payload: Buffer.from([101, 0, 0, 0x70, 0x80]) },
  ]);
});

test('a server that does not speak RFC 2217 is named as such, with what to use instead', async () => {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    await assert.rejects(openRfc2217(`rfc2217://127.0.0.1:${port}`, { baudRate: 115200 }), (error: unknown) => {
      assert.ok(error instanceof PortError);
      assert.equal(error.code, 'NOT_RFC2217');
      assert.match(error.message, /did not agree to RFC 2217.*use tcp:\/\/ instead/);
      return true;
    });
  } finally {
    sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => server.close(resolve));
  }
});

test('raw TCP ports of every spelling are planned without a line rate; rfc2217 ports with one', async () => {
  for (const port of ['tcp://127.0.0.1:9', 'TCP://127.0.0.1:9', 'socket://127.0.0.1:9']) {
    const run = await runMain([port, fixture('photon-user-part.bin'), '--dry-run']);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /baud/, port);
    assert.match(run.stdout, /must already be in listening mode/, port);
  }
  const run = await runMain(['rfc2217://127.0.0.1:9', fixture('photon-user-part.bin'), '--dry-run']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /115200 baud/);
  assert.match(run.stdout, /set 9600 then 28800 baud/);
});
