import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CancelledError, DisconnectedError, InputError, PortError } from '../../src/errors.js';
import { openTcp, parseTcpUrl } from '../../src/transport/tcp.js';
import { ALL_BYTE_VALUES, patternBytes, readBytes } from './stream-helpers.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { runMain } from '../helpers/in-process-cli.js';
import { PERL, serveDevice, SER2NET, startSer2net } from '../helpers/served-device.js';
import { skipUnless } from '../helpers/system-tools.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A loopback server handing each accepted socket to the test. */
async function startServer(): Promise<{ server: Server; url: string; nextSocket(): Promise<Socket> }> {
  const server = createServer();
  const waiting: Socket[] = [];
  const waiters: Array<(socket: Socket) => void> = [];
  server.on('connection', (socket) => {
    const waiter = waiters.shift();
    if (waiter) waiter(socket);
    else waiting.push(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `tcp://127.0.0.1:${port}`,
    nextSocket: () => new Promise((resolve) => (waiting.length ? resolve(waiting.shift()!) : waiters.push(resolve))),
  };
}

describe('openTcp against a loopback server', () => {
  let env: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    env = await startServer();
  });
  after(async () => {
    env.server.close();
  });

  it('is a TCP connection without baud rate, signals or USB identity', async () => {
    const accepted = env.nextSocket();
    const connection = await openTcp(env.url);
    const peer = await accepted;
    try {
      assert.equal(connection.kind, 'tcp');
      assert.equal(connection.path, env.url);
      assert.equal(connection.canSignal, false);
      assert.equal(connection.baudRate, undefined);
      assert.equal(connection.usb, undefined);
      await connection.setBaudRate(28800);
      await connection.setSignals({ dtr: true });
      assert.equal(connection.baudRate, undefined);
    } finally {
      await connection.close();
      peer.destroy();
    }
  });

  it('carries bytes both ways unchanged, boundary sizes included', async () => {
    const accepted = env.nextSocket();
    const connection = await openTcp(env.url);
    const peer = await accepted;
    try {
      for (const data of [ALL_BYTE_VALUES, ...[1, 128, 1023, 1024, 1025].map((n) => patternBytes(n, n))]) {
        const atPeer = readBytes(peer, data.length);
        connection.stream.write(data);
        await connection.drain();
        assert.deepEqual(await atPeer, data);
        const atUs = readBytes(connection.stream, data.length);
        peer.write(data);
        assert.deepEqual(await atUs, data);
      }
    } finally {
      await connection.close();
      peer.destroy();
    }
  });

  it('closes twice without error, resolves closed with no error, and the peer sees the end', async () => {
    const accepted = env.nextSocket();
    const connection = await openTcp(env.url);
    const peer = await accepted;
    peer.resume();
    const peerEnded = once(peer, 'close');
    await connection.close();
    await connection.close();
    assert.deepEqual(await connection.closed, {});
    await peerEnded;
    await assert.rejects(connection.drain(), DisconnectedError);
  });

  it('resolves closed with a DisconnectedError when the bridge hangs up', async () => {
    const accepted = env.nextSocket();
    const connection = await openTcp(env.url);
    connection.stream.resume();
    (await accepted).destroy();
    const { error } = await connection.closed;
    assert.ok(error instanceof DisconnectedError);
    assert.match(error.message, /went away/);
    await connection.close();
  });
});

/**
 * A port whose handshakes are never completed: a child process listens with a tiny backlog
 * and then blocks its event loop, so once the accept queue is full Linux drops further SYNs.
 * (Outside addresses are no use: sandboxes and proxies may answer or reject them.)
 */
const blackholeSkip = process.platform !== 'linux' && 'relies on Linux dropping SYNs to a full accept queue';

/** Loopback handshakes take microseconds; one not done after this is being dropped. */
const UNANSWERED_AFTER_MS = 200;
/** Linux queues backlog + 1 connections; a few more attempts cover other kernels' rounding. */
const MAX_BLACKHOLE_FILLERS = 8;

async function startBlackhole(): Promise<{ url: string; stop(): void }> {
  const script = `const net = require('node:net');
    const server = net.createServer();
    server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      process.stdout.write(server.address().port + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  // Fill the accept queue (Node treats backlog 0 as its default, so the size is not known):
  // connect until a handshake goes unanswered.
  const fillers: Socket[] = [];
  for (let attempt = 0; attempt < MAX_BLACKHOLE_FILLERS; attempt++) {
    const filler = connect(port, '127.0.0.1');
    filler.on('error', () => undefined);
    fillers.push(filler);
    const answered = await Promise.race([
      once(filler, 'connect').then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), UNANSWERED_AFTER_MS)),
    ]);
    if (!answered) break;
  }
  return {
    url: `tcp://127.0.0.1:${port}`,
    stop() {
      for (const filler of fillers) filler.destroy();
      child.kill('SIGKILL');
    },
  };
}

describe('openTcp errors', () => {
  it('reports a refused connection as TCP_REFUSED', async () => {
    const { server, url } = await startServer();
    server.close();
    await once(server, 'close');
    await assert.rejects(openTcp(url), (error: unknown) => {
      assert.ok(error instanceof PortError);
      assert.equal(error.code, 'TCP_REFUSED');
      assert.ok(error.message.startsWith(`${url} refused the connection; `));
      return true;
    });
  });

  it('gives up after connectTimeoutMs when the other end never answers', { skip: blackholeSkip }, async () => {
    const hole = await startBlackhole();
    try {
      const started = Date.now();
      await assert.rejects(openTcp(hole.url, { connectTimeoutMs: 300 }), (error: unknown) => {
        assert.ok(error instanceof PortError);
        assert.equal(error.code, 'TCP_TIMEOUT');
        assert.equal(error.message, `${hole.url} did not answer within 0.3 s; check the address and that no firewall drops the connection.`);
        return true;
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 290 && elapsed < 3000, `gave up after ${elapsed} ms`);
    } finally {
      hole.stop();
    }
  });

  it('stops connecting when the signal aborts', { skip: blackholeSkip }, async () => {
    const hole = await startBlackhole();
    try {
      const controller = new AbortController();
      const pending = openTcp(hole.url, { connectTimeoutMs: 10_000, signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(pending, CancelledError);
      await assert.rejects(openTcp(hole.url, { signal: AbortSignal.abort() }), CancelledError);
    } finally {
      hole.stop();
    }
  });

  it('rejects malformed URLs as BAD_TCP_URL with a one-sentence fix', async () => {
    for (const url of ['tcp://', 'tcp://host', 'tcp://host:99999', 'tcp://host:0', 'tcp://host:2000/ttyUSB0', 'tcp://user@host:1', 'http://host:80', 'tcp:host:1']) {
      await assert.rejects(openTcp(url), (error: unknown) => {
        assert.ok(error instanceof InputError, url);
        assert.equal(error.code, 'BAD_TCP_URL', url);
        assert.match(error.message, /write it as tcp:\/\/host:port/);
        assert.equal(error.message.split('; ').length, 2, error.message);
        return true;
      });
    }
  });

  it('parses host names, IPv4, bracketed IPv6 and the socket:// alias', () => {
    assert.deepEqual(parseTcpUrl('tcp://esp-link.local:23'), { host: 'esp-link.local', port: 23 });
    assert.deepEqual(parseTcpUrl('tcp://192.168.1.20:2000/'), { host: '192.168.1.20', port: 2000 });
    assert.deepEqual(parseTcpUrl('tcp://[::1]:4000'), { host: '::1', port: 4000 });
    assert.deepEqual(parseTcpUrl('socket://10.0.0.2:65535'), { host: '10.0.0.2', port: 65535 });
  });
});

it('tcp:// at a real ser2net RFC 2217 port: named as a Telnet port at once, with the rfc2217:// name to use, and the device untouched', { skip: skipUnless(PERL, SER2NET) }, async () => {
  const served = await serveDevice('ymodem');
  const ser2net = await startSer2net(served.pty).catch(async (error) => {
    await served.close();
    throw error;
  });
  const dir = tempDir('telnet');
  try {
    const file = join(dir, 'app.bin');
    writeFileSync(file, Buffer.alloc(3000, 0x5a));
    const raw = ser2net.url.replace('rfc2217://', 'tcp://');
    const run = await runMain([raw, file, '-t', 'ymodem']);
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stderr, `serial-flash: ${raw} answered with Telnet negotiation, so it is an RFC 2217 (Telnet) port, not a raw one; name it ${ser2net.url}.\n`);
    assert.equal((served.device as YmodemDevice).files.length, 0);
  } finally {
    await ser2net.close();
    await served.close();
  }
});
