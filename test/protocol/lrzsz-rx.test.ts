/**
 * XMODEM against the reference receiver: lrzsz `rx` behind a real pseudo-terminal, driven by
 * the whole CLI. `rx` asks with NAK (checksum) by default and with `C` (CRC-16) given `-c`;
 * it keeps the last block's SUB padding, as XMODEM receivers must (no size is sent).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PAD } from '../../src/protocol/control-bytes.js';
import { runCli } from '../helpers/cli.js';
import { LRZSZ, ptyToCommand, SOCAT, skipUnless } from '../helpers/system-tools.js';
import { testData } from '../helpers/virtual-link.js';

const skip = skipUnless(SOCAT, LRZSZ);

const CASES = [
  { protocol: 'xmodem', crc: false, size: 20_000 + 5, blockSize: 128 },
  { protocol: 'xmodem', crc: true, size: 20_000 + 5, blockSize: 128 },
  { protocol: 'xmodem-1k', crc: true, size: 60 * 1024 + 200, blockSize: 1024 },
  { protocol: 'xmodem-1k', crc: false, size: 3 * 1024, blockSize: 1024 },
] as const;

for (const { protocol, crc, size, blockSize } of CASES) {
  test(`--protocol ${protocol}: ${size} bytes reach rx ${crc ? '-c (CRC-16)' : '(checksum)'} over a pty, padded with SUB`, { skip, timeout: 90_000 }, async () => {
    const work = mkdtempSync(join(tmpdir(), 'serial-flash-rx-'));
    try {
      const inbox = join(work, 'inbox');
      mkdirSync(inbox);
      const file = join(work, 'payload.bin');
      const data = testData(size, size);
      writeFileSync(file, data);
      const rx = await ptyToCommand(`rx ${crc ? '-c ' : ''}-q received.bin`, inbox, { startWhenOpened: true, lingerSeconds: 1 });
      try {
        const run = await runCli([rx.path, file, '-t', 'ymodem', '--protocol', protocol, '--verbose'], { timeoutMs: 80_000 });
        assert.equal(run.code, 0, `serial-flash failed: ${run.stderr}`);
        assert.match(run.stdout, new RegExp(`Flashed ${size} bytes`));
        assert.equal(await rx.exited, 0, 'rx reported success');
        const received = readFileSync(join(inbox, 'received.bin'));
        assert.ok(received.subarray(0, size).equals(data), 'rx received the same bytes');
        // The last block carries the end of the file and SUB padding to a block boundary
        // (a 1K transfer may end with a 128-byte block).
        const padding = received.subarray(size);
        assert.ok(padding.length < blockSize && (size + padding.length) % 128 === 0, `${padding.length} bytes of padding`);
        assert.ok(padding.every((byte) => byte === PAD), 'the padding is SUB');
      } finally {
        await rx.close();
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
