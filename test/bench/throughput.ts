/** Section: throughput on a paced serial line against the YMODEM bound, and against lrzsz sb. */
import { hasCommand } from '../helpers/system-tools.js';
import { testData } from '../helpers/virtual-link.js';
import type { BlockSize } from '../../src/protocol/blocks.js';
import type { ImageDir } from './images.js';
import { sbOnLine, serialFlashOnLine, type SessionTiming } from './paced-link.js';
import { bytesPerSecond, kib, median, percent, seconds, table } from './stats.js';
import { sessionMs, type LineSpec } from './theory.js';

/** Repeated runs of either sender on this machine differ by about this much: closer is a tie. */
const SAME_TIME_TOLERANCE = 0.005;

export interface LinkCase {
  line: LineSpec;
  blockSize: BlockSize;
  bytes: number;
}

export interface ThroughputResult {
  markdown: string;
  /** The 1K-block, 115200-baud cases, for the targets. */
  checks: { name: string; ok: boolean; detail: string }[];
  /** CPU share of the in-process serial-flash runs (sender + virtual device + line), per case. */
  cpuShare: { name: string; share: number }[];
}

export function linkCases(quick: boolean): LinkCase[] {
  const cases: LinkCase[] = [];
  for (const latencyMs of [1, 2]) {
    for (const blockSize of [1024, 128] as const) {
      cases.push({ line: { baud: 115_200, latencyMs }, blockSize, bytes: quick ? 16 * 1024 : 48 * 1024 });
      cases.push({ line: { baud: 921_600, latencyMs }, blockSize, bytes: quick ? 64 * 1024 : 256 * 1024 });
    }
  }
  return cases.sort((a, b) => a.line.baud - b.line.baud || a.line.latencyMs - b.line.latencyMs || b.blockSize - a.blockSize);
}

export async function throughput(images: ImageDir, cases: LinkCase[], repeats: number, log: (line: string) => void): Promise<ThroughputResult> {
  const sbAvailable = hasCommand('sb');
  const rows: string[][] = [];
  const checks: ThroughputResult['checks'] = [];
  const cpuShare: ThroughputResult['cpuShare'] = [];
  for (const c of cases) {
    const name = `${c.line.baud} baud, ${c.line.latencyMs} ms, ${c.blockSize}-byte blocks`;
    const data = testData(c.bytes, c.bytes + c.blockSize);
    const file = images.write(`payload-${c.bytes}.bin`, data);
    const ours: SessionTiming[] = [];
    const theirs: SessionTiming[] = [];
    // Interleaved, so a busy moment on the machine hits both senders alike.
    for (let i = 0; i < repeats; i++) {
      ours.push(await serialFlashOnLine(c.line, c.blockSize, file, data));
      if (sbAvailable) theirs.push(await sbOnLine(c.line, c.blockSize, file, data));
    }
    const best = sessionMs(c.line, c.blockSize, c.bytes);
    const oursMs = median(ours.map((t) => t.elapsedMs));
    const row = [
      `${c.line.baud}`,
      `${c.line.latencyMs} ms`,
      `${c.blockSize}`,
      kib(c.bytes),
      seconds(best),
      seconds(oursMs),
      bytesPerSecond(c.bytes, oursMs),
      percent(best / oursMs),
    ];
    let line = `  ${name}: serial-flash ${seconds(oursMs)} (${percent(best / oursMs)} of the bound)`;
    if (sbAvailable) {
      const sbMs = median(theirs.map((t) => t.elapsedMs));
      row.push(seconds(sbMs), percent(best / sbMs), (oursMs / sbMs).toFixed(3));
      line += `, sb ${seconds(sbMs)} (${percent(best / sbMs)}), ratio ${(oursMs / sbMs).toFixed(3)}`;
      if (c.line.baud === 115_200 && c.blockSize === 1024) {
        const ratio = oursMs / sbMs;
        const verdict = ratio <= 1 ? '' : ratio <= 1 + SAME_TIME_TOLERANCE ? ` (slower by less than the ${percent(SAME_TIME_TOLERANCE)} run-to-run spread)` : '';
        checks.push({ name: `not slower than sb -k (${name})`, ok: ratio <= 1 + SAME_TIME_TOLERANCE, detail: `${ratio.toFixed(3)}× sb's time${verdict}` });
      }
    }
    log(line);
    rows.push(row);
    if (c.line.baud === 115_200 && c.blockSize === 1024) {
      checks.push({ name: `≥ 97% of the YMODEM-1K bound (${name})`, ok: best / oursMs >= 0.97, detail: percent(best / oursMs) });
    }
    const cpu = median(ours.map((t) => t.cpuMs / t.elapsedMs));
    cpuShare.push({ name, share: cpu });
  }
  const header = ['baud', 'latency (one way)', 'block', 'file', 'YMODEM bound', 'serial-flash', 'payload rate', 'of bound'];
  if (sbAvailable) header.push('sb (`-k` for 1K)', 'sb of bound', 'serial-flash / sb time');
  const note = sbAvailable
    ? ''
    : '\n\nlrzsz `sb` is not installed here, so the comparison columns are left out (apt-get install lrzsz).';
  return { markdown: table(header, rows) + note, checks, cpuShare };
}
