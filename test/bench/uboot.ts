/**
 * U-Boot benchmarks: serial-flash's whole command into a real U-Boot (QEMU) against lrzsz
 * `sb`'s bare transfer of the same file into the same U-Boot, and the speed-up of
 * `--transfer-baud` on a line paced at whatever rate the host sets (the emulated U-Boot).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualBinding } from '../../src/emulator/virtual-binding.js';
import { QEMU_VIRT_BOARD, UBootDevice } from '../../src/emulator/uboot-device.js';
import { flash } from '../../src/flash/flash.js';
import { BIN } from '../helpers/cli.js';
import { testData } from '../helpers/test-data.js';
import { LOAD_ADDRESS, UBootConsole, startRealUBoot } from '../helpers/uboot-console.js';
import { median, percent, seconds, table } from './stats.js';
import { blockMs } from './theory.js';

const CONSOLE_BAUD = 115_200;

const hex = (n: number) => n.toString(16);

export interface UBootBench {
  markdown: string;
  checks: { name: string; ok: boolean; detail: string }[];
}

/** serial-flash (spawn to exit: prompt, loady, transfer, summary, crc32) against sb (spawn to exit, loady typed first). */
export async function realUBootAgainstSb(dir: string, bytes: number, repeats: number, log: (line: string) => void): Promise<UBootBench> {
  const file = join(dir, `uboot-${bytes}.bin`);
  writeFileSync(file, testData(bytes, 31));
  const uboot = await startRealUBoot();
  const ours: number[] = [];
  const theirs: number[] = [];
  try {
    for (let run = 0; run < repeats; run++) {
      const started = performance.now();
      const code = await exitOf(spawn(process.execPath, [BIN, uboot.path, file, '-t', 'uboot', '-a', `0x${hex(LOAD_ADDRESS)}`, '--quiet'], { stdio: 'ignore' }));
      if (code !== 0) throw new Error(`serial-flash into U-Boot exited ${code}`);
      ours.push(performance.now() - started);
      theirs.push(await sbIntoUBoot(await uboot.open(), file));
      log(`  run ${run + 1}: serial-flash ${seconds(ours.at(-1)!)}, sb ${seconds(theirs.at(-1)!)}`);
    }
  } finally {
    await uboot.stop();
  }
  const ratio = median(ours) / median(theirs);
  return {
    markdown: table(
      ['file', 'serial-flash, whole command (verified)', 'sb --ymodem -k, bare transfer', 'serial-flash / sb'],
      [[`${bytes} bytes`, seconds(median(ours)), seconds(median(theirs)), `${ratio.toFixed(2)}×`]],
    ),
    checks: [{ name: 'into real U-Boot: the whole command ≤ 0.75× sb\'s bare transfer', ok: ratio <= 0.75, detail: `${ratio.toFixed(2)}×` }],
  };
}

/** Types `loady`, then times `sb` from its start to its exit, its stdin/stdout relayed to the console. */
async function sbIntoUBoot(console: UBootConsole, file: string): Promise<number> {
  try {
    await console.sync();
    await console.write(`loady ${hex(LOAD_ADDRESS)}\r`);
    await console.expect('bps...\r\n');
    const started = performance.now();
    const sb = spawn('sb', ['--ymodem', '-k', file], { stdio: ['pipe', 'pipe', 'ignore'] });
    const relay = console.relay((bytes) => sb.stdin!.write(bytes));
    sb.stdout!.on('data', (bytes: Buffer) => void console.write(bytes));
    const code = await exitOf(sb);
    const elapsed = performance.now() - started;
    relay.stop();
    if (code !== 0) throw new Error(`sb into U-Boot exited ${code}`);
    await console.expect('## Total Size');
    await console.expect('=> ');
    return elapsed;
  } finally {
    await console.close();
  }
}

/** One-way latencies the speed-up is measured at: none (the tool's own cost) and a USB adapter's 1 ms. */
const SPEEDUP_LATENCIES_MS = [0, 1];
/** At a latency, the speed-up must reach this share of the stop-and-wait bound. */
const MIN_SHARE_OF_BOUND = 0.95;

/**
 * --transfer-baud N against the console rate, both on a line paced at the rate the host sets.
 * Stop-and-wait YMODEM pays one round trip per block whatever the rate, so the speed-up a line
 * allows is blockMs(console rate) / blockMs(transfer baud): 8× only when the latency is zero (theory.ts).
 */
export async function transferBaudSpeedup(dir: string, bytes: number, fast: number, log: (line: string) => void): Promise<UBootBench> {
  const file = join(dir, `uboot-paced-${bytes}.bin`);
  writeFileSync(file, testData(bytes, 32));
  const rows: string[][] = [];
  const checks: UBootBench['checks'] = [];
  for (const latencyMs of SPEEDUP_LATENCIES_MS) {
    const atConsoleRate = await timedLoad(file, latencyMs, undefined);
    const atTransferBaud = await timedLoad(file, latencyMs, fast);
    const speedup = atConsoleRate.transfer / atTransferBaud.transfer;
    const bound = blockMs({ baud: CONSOLE_BAUD, latencyMs }, 1024) / blockMs({ baud: fast, latencyMs }, 1024);
    const row = [
      `${latencyMs} ms`,
      seconds(atConsoleRate.transfer),
      seconds(atTransferBaud.transfer),
      `${speedup.toFixed(1)}×`,
      `${bound.toFixed(2)}×`,
      percent(speedup / bound),
      `${(atConsoleRate.whole / atTransferBaud.whole).toFixed(1)}× (${seconds(atConsoleRate.whole)} → ${seconds(atTransferBaud.whole)})`,
    ];
    rows.push(row);
    log(`  ${row.join(', ')}`);
    checks.push(
      latencyMs === 0
        ? { name: `--transfer-baud ${fast}, line without latency: transfer ≥ 7× faster than at ${CONSOLE_BAUD}`, ok: speedup >= 7, detail: `${speedup.toFixed(1)}×` }
        : {
            name: `--transfer-baud ${fast}, ${latencyMs} ms latency: ≥ ${percent(MIN_SHARE_OF_BOUND)} of the stop-and-wait bound (${bound.toFixed(2)}×)`,
            ok: speedup >= MIN_SHARE_OF_BOUND * bound,
            detail: `${speedup.toFixed(1)}×, ${percent(speedup / bound)} of the bound`,
          },
    );
  }
  return {
    markdown: table(
      [
        'latency (one way)',
        `transfer at ${CONSOLE_BAUD}`,
        `transfer with --transfer-baud ${fast}`,
        'speed-up',
        'stop-and-wait bound',
        'of bound',
        'whole flash() speed-up',
      ],
      rows,
    ),
    checks,
  };
}

/** One flash() of `file` into an emulated U-Boot on a paced line: the transfer and the whole call, ms. */
async function timedLoad(file: string, latencyMs: number, transferBaud: number | undefined): Promise<{ transfer: number; whole: number }> {
  const binding = new VirtualBinding();
  const device = new UBootDevice({ board: QEMU_VIRT_BOARD });
  binding.add('/dev/virtual-uboot', device, { pacedByLineRate: true, latencyMs });
  try {
    const started = performance.now();
    const result = await flash({ file, port: '/dev/virtual-uboot', binding, target: 'uboot', address: LOAD_ADDRESS, transferBaud });
    if (!('transferSeconds' in result)) throw new Error('no transfer happened');
    return { transfer: result.transferSeconds * 1000, whole: performance.now() - started };
  } finally {
    device.dispose();
  }
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}
