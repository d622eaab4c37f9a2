/**
 * The emulated U-Boot and the real one (Debian's u-boot-qemu under QEMU) run the same
 * scenarios, byte for byte, so the emulator cannot drift from the real thing again. Each
 * scenario states what U-Boot does (docs/protocol.md §7) and runs against both.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crc32 from 'crc/calculators/crc32';
import { VirtualBinding } from '../../src/emulator/virtual-binding.js';
import { QEMU_VIRT_BOARD, UBootDevice } from '../../src/emulator/uboot-device.js';
import { encodeBlock, encodeEndOfBatchBlock, encodeHeaderBlock } from '../../src/protocol/blocks.js';
import { ACK, CAN, CRC_REQUEST, EOT, NAK } from '../../src/protocol/control-bytes.js';
import { testData } from '../helpers/test-data.js';
import { LOAD_ADDRESS, type RealUBoot, UBootConsole, realUBootMissing, startRealUBoot } from '../helpers/uboot-console.js';

const hex = (n: number) => n.toString(16);
const hex8 = (n: number) => hex(n >>> 0).padStart(8, '0');
/** Long enough for a `C` that U-Boot would send after the header's ACK (it sends none for 4.25 s). */
const NO_REQUEST_MS = 1_000;
/** The prompt on a line of its own (`==> ` inside crc32's answer is not one). */
const PROMPT_LINE = '\r\n=> ';

interface Scenario {
  name: string;
  run(console: UBootConsole): Promise<void>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'loady: C; the header gets an ACK and no C; EOT gets ACK ACK C; then the summary, filesize and a matching crc32',
    async run(console) {
      const data = testData(3000, 11);
      await console.write(`loady ${hex(LOAD_ADDRESS)}\r`);
      await console.expect(`loady ${hex(LOAD_ADDRESS)}\r\n## Ready for binary (ymodem) download to 0x${hex8(LOAD_ADDRESS).toUpperCase()} at 115200 bps...\r\n`);
      assert.deepEqual(await console.next(1), Buffer.of(CRC_REQUEST));
      await console.write(encodeHeaderBlock({ name: 'kernel.bin', size: data.length }));
      assert.deepEqual(await console.next(1), Buffer.of(ACK));
      assert.equal(await console.drain(NO_REQUEST_MS), '', 'no C after the header: U-Boot waits for block 1');
      for (let sequence = 1, offset = 0; offset < data.length; sequence++, offset += 1024) {
        await console.write(encodeBlock(sequence, data.subarray(offset, offset + 1024), 1024));
        assert.deepEqual(await console.next(1), Buffer.of(ACK), `block ${sequence}`);
      }
      await console.write(Buffer.of(EOT));
      assert.deepEqual(await console.next(3), Buffer.of(ACK, ACK, CRC_REQUEST), 'the first EOT: ACK ACK C');
      await console.write(encodeEndOfBatchBlock());
      assert.deepEqual(await console.next(1), Buffer.of(ACK));
      await console.expect(`## Total Size      = 0x${hex8(data.length)} = ${data.length} Bytes\r\n## Start Addr      = 0x${hex8(LOAD_ADDRESS).toUpperCase()}\r\n=> `);
      assert.equal(await console.command('printenv filesize'), `filesize=${hex(data.length)}\r\n`);
      const end = LOAD_ADDRESS + data.length - 1;
      assert.equal(await console.command(`crc32 ${hex(LOAD_ADDRESS)} ${hex(data.length)}`), `crc32 for ${hex8(LOAD_ADDRESS)} ... ${hex8(end)} ==> ${hex8(crc32(data))}\r\n`);
    },
  },
  {
    name: 'a damaged block is answered with C, a copy of the last good one with ACK; three CAN cancel: no summary, filesize kept',
    async run(console) {
      const before = await console.command('printenv filesize');
      const data = testData(4096, 12);
      await console.write(`loady ${hex(LOAD_ADDRESS + 0x100000)}\r`);
      await console.expect('bps...\r\n');
      assert.deepEqual(await console.next(1), Buffer.of(CRC_REQUEST));
      await console.write(encodeHeaderBlock({ name: 'x.bin', size: data.length }));
      assert.deepEqual(await console.next(1), Buffer.of(ACK));
      const first = encodeBlock(1, data.subarray(0, 1024), 1024);
      await console.write(first);
      assert.deepEqual(await console.next(1), Buffer.of(ACK));
      await console.write(first);
      assert.deepEqual(await console.next(1), Buffer.of(ACK), 'a duplicate is ACKed');
      const damaged = encodeBlock(2, data.subarray(1024, 2048), 1024);
      damaged[100] ^= 0x01;
      await console.write(damaged);
      assert.deepEqual(await console.next(1), Buffer.of(CRC_REQUEST), 'a CRC error is answered with C, not NAK');
      await console.write(Buffer.of(CAN, CAN, CAN));
      const { before: beforePrompt } = await console.expect('=> ');
      assert.equal(beforePrompt, '\r\nCancelled\r\n## Binary (ymodem) download aborted\r\n', 'nothing else: no CANs back, no ## Total Size');
      assert.equal(await console.command('printenv filesize'), before, 'filesize is only set by a load that succeeded');
    },
  },
  {
    name: 'loadx: C, 1K and 128-byte blocks, EOT gets ACK ACK, the SUB padding is stripped',
    async run(console) {
      const data = testData(2500, 13);
      await console.write(`loadx ${hex(LOAD_ADDRESS + 0x200000)}\r`);
      await console.expect(`## Ready for binary (xmodem) download to 0x${hex8(LOAD_ADDRESS + 0x200000).toUpperCase()} at 115200 bps...\r\n`);
      assert.deepEqual(await console.next(1), Buffer.of(CRC_REQUEST));
      const blocks: [number, number][] = [[0, 1024], [1024, 1024], [2048, 128], [2176, 128], [2304, 128], [2432, 128]];
      for (const [index, [offset, size]] of blocks.entries()) {
        await console.write(encodeBlock(index + 1, data.subarray(offset, offset + size), size as 128 | 1024));
        assert.deepEqual(await console.next(1), Buffer.of(ACK));
      }
      await console.write(Buffer.of(EOT));
      assert.deepEqual(await console.next(2), Buffer.of(ACK, ACK), 'XMODEM EOT: ACK ACK and no C');
      await console.expect(`## Total Size      = 0x${hex8(data.length)} = ${data.length} Bytes\r\n## Start Addr      = 0x${hex8(LOAD_ADDRESS + 0x200000).toUpperCase()}\r\n=> `);
      assert.equal(await console.command(`crc32 ${hex(LOAD_ADDRESS + 0x200000)} ${hex(data.length)}`), `crc32 for ${hex8(LOAD_ADDRESS + 0x200000)} ... ${hex8(LOAD_ADDRESS + 0x200000 + data.length - 1)} ==> ${hex8(crc32(data))}\r\n`);
    },
  },
  {
    name: 'loadxy_timeout bounds the wait for a sender: a second C after 4.75 s, then "Timed out"',
    async run(console) {
      await console.command('setenv loadxy_timeout 2');
      try {
        await console.write(`loady ${hex(LOAD_ADDRESS)}\r`);
        await console.expect('bps...\r\n');
        const { before } = await console.expect('=> ', 20_000);
        assert.equal(before, 'CC\r\nTimed out\r\n## Binary (ymodem) download aborted\r\n');
      } finally {
        await console.command('setenv loadxy_timeout');
      }
    },
  },
  {
    name: 'Ctrl-C three times while U-Boot waits for a sender cancels the load',
    async run(console) {
      await console.write(`loady ${hex(LOAD_ADDRESS)}\r`);
      await console.expect('bps...\r\n');
      assert.deepEqual(await console.next(1), Buffer.of(CRC_REQUEST));
      await console.write(Buffer.of(3, 3, 3));
      const { before } = await console.expect('=> ');
      assert.equal(before, '\r\nCancelled\r\n## Binary (ymodem) download aborted\r\n');
      assert.equal(before.includes(String.fromCharCode(NAK)), false);
    },
  },
  {
    name: 'a loady left waiting (typed earlier): Ctrl-C alone does not end it, its C comes alone; CAN CAN CAN cancel it before any header, and the prompt returns',
    async run(console) {
      const before = await console.command('printenv filesize');
      await console.write(`loady ${hex(LOAD_ADDRESS + 0x400000)}\r`);
      await console.expect('bps...\r\n');
      assert.deepEqual(await console.next(1), Buffer.of(CRC_REQUEST));
      // What serial-flash does when it finds no prompt: one Ctrl-C, which loady only counts.
      await console.write('\x03');
      assert.deepEqual(await console.next(1, 10_000), Buffer.of(CRC_REQUEST), 'still waiting: another C, alone');
      await console.write(Buffer.of(CAN, CAN, CAN));
      const { before: beforePrompt } = await console.expect('=> ');
      assert.equal(beforePrompt, '\r\nCancelled\r\n## Binary (ymodem) download aborted\r\n');
      assert.equal(await console.command('printenv filesize'), before, 'nothing was loaded');
    },
  },
  {
    name: 'an empty line runs the last command again (why serial-flash wakes U-Boot with Ctrl-C): after crc32 it prints the crc again; Ctrl-C prints <INTERRUPT> and runs nothing, nor does Enter after it',
    async run(console) {
      const answer = await console.command(`crc32 ${hex(LOAD_ADDRESS)} 10`);
      await console.write('\r');
      assert.equal((await console.expect(PROMPT_LINE)).before, `\r\n${answer.replace(/\r\n$/, '')}`, 'Enter repeated crc32');
      await console.write('\x03');
      assert.equal((await console.expect(PROMPT_LINE)).before, '<INTERRUPT>', 'Ctrl-C at the prompt: a fresh prompt, nothing run');
      await console.write('\r');
      assert.equal((await console.expect(PROMPT_LINE)).before, '', 'and Enter after Ctrl-C runs nothing');
    },
  },
  {
    name: 'reset: the banner again, then a 2 s autoboot countdown that a key stops; U-Boot eats that key (the rest of the line is typed) and RAM keeps the load',
    async run(console) {
      const address = LOAD_ADDRESS + 0x300000;
      const data = testData(1024, 14);
      await console.write(`loady ${hex(address)}\r`);
      await console.expect('bps...\r\n');
      assert.deepEqual(await console.next(1), Buffer.of(CRC_REQUEST));
      await console.write(encodeHeaderBlock({ name: 'kept.bin', size: data.length }));
      assert.deepEqual(await console.next(1), Buffer.of(ACK));
      await console.write(encodeBlock(1, data, 1024));
      assert.deepEqual(await console.next(1), Buffer.of(ACK));
      await console.write(Buffer.of(EOT));
      assert.deepEqual(await console.next(3), Buffer.of(ACK, ACK, CRC_REQUEST));
      await console.write(encodeEndOfBatchBlock());
      await console.expect('## Start Addr');
      await console.expect('=> ');
      await console.write('reset\r');
      await console.expect('resetting ...\r\n');
      await console.expect(/U-Boot \d{4}\.\d{2}/);
      await console.expect('Hit any key to stop autoboot:  2 ');
      const check = `crc32 ${hex(address)} ${hex(data.length)}`;
      await console.write(`x${check}\r`);
      // "\b\b\b 0" without the space when the key was waiting before the countdown began.
      assert.match((await console.expect('=> ')).before, /^\x08\x08\x08 0 ?\r\n$/);
      await console.expect(`${check}\r\n`);
      // The prompt that starts a line: crc32's own "==> " may arrive alone.
      assert.equal((await console.expect(/(?<=^|\n)=> $/)).before, `crc32 for ${hex8(address)} ... ${hex8(address + data.length - 1)} ==> ${hex8(crc32(data))}\r\n`);
      assert.equal(await console.command('printenv filesize'), '## Error: "filesize" not defined\r\n', 'the environment is back to its defaults');
    },
  },
];

interface Backend {
  open(): Promise<UBootConsole>;
}

function runScenarios(name: string, setUp: () => Promise<Backend & { tearDown(): Promise<void> }>, skip: string | false): void {
  describe(name, { skip }, () => {
    let backend: (Backend & { tearDown(): Promise<void> }) | undefined;
    before(async () => {
      backend = await setUp();
    });
    after(async () => {
      await backend?.tearDown();
    });
    for (const scenario of SCENARIOS) {
      test(scenario.name, async () => {
        const console = await backend!.open();
        try {
          await console.sync();
          await scenario.run(console);
        } finally {
          await console.close();
        }
      });
    }
  });
}

runScenarios(
  'real U-Boot (QEMU)',
  async () => {
    const uboot: RealUBoot = await startRealUBoot();
    return { open: () => uboot.open(), tearDown: () => uboot.stop() };
  },
  realUBootMissing(),
);

runScenarios(
  'emulated U-Boot',
  async () => {
    const binding = new VirtualBinding();
    const device = new UBootDevice({ board: QEMU_VIRT_BOARD });
    binding.add('/dev/virtual-uboot', device);
    return {
      open: () => UBootConsole.open('/dev/virtual-uboot', binding),
      tearDown: async () => device.dispose(),
    };
  },
  false,
);
