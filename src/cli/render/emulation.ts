/** What `serial-flash emulate` prints: who is being served, what happens, and the one-line summary. */
import type { EmulationSummary } from '../../emulator/received-image.js';
import { ParticleDevice } from '../../emulator/particle-device.js';
import { SparkCoreDevice } from '../../emulator/spark-core-device.js';
import type { TcpHost } from '../../emulator/tcp-host.js';
import type { VirtualDevice } from '../../emulator/virtual-device.js';
import { formatAddress } from '../../image/address.js';

/** One line naming the device: what it is, its firmware, its state. */
export function describeDevice(device: VirtualDevice): string {
  if (device instanceof ParticleDevice || device instanceof SparkCoreDevice) {
    const state = device.mode === 'listening' ? 'in listening mode' : 'running its application';
    const os = device instanceof SparkCoreDevice ? 'firmware' : 'Device OS';
    return `virtual ${device.platform.name} (${os} ${device.identity.systemVersion}, device id ${device.identity.deviceId}), ${state}`;
  }
  if (device.profile === 'uboot') return 'virtual U-Boot console (=> prompt, loady ADDR)';
  return 'virtual YMODEM receiver (a standard one, like lrzsz rb), waiting for a file';
}

/** Particle-family devices need 28800 baud to start listening, which raw TCP and a pty cannot carry. */
export function needsListeningHint(device: VirtualDevice): boolean {
  return (device instanceof ParticleDevice || device instanceof SparkCoreDevice) && device.mode !== 'listening';
}

/** Progress lines on stderr while the device is served; `verbose` adds every line the device prints. */
export function logActivity(device: VirtualDevice, host: TcpHost, log: (line: string) => void, verbose: boolean): void {
  host.on('connect', (peer) => log(`· connected: ${peer}`));
  host.on('disconnect', (peer, byDevice) => log(`· disconnected: ${peer}${byDevice ? ' (the device port went away)' : ''}`));
  host.on('refuse', (peer, why) =>
    log(`· turned away ${peer}: ${why === 'busy' ? 'another client holds the port (one at a time)' : 'the device is restarting'}`),
  );
  device.on('mode', (mode) => log(`· mode: ${mode}`));
  device.on('transfer-start', ({ name, size }) => log(`· receiving ${name}, ${size} bytes`));
  device.on('transfer-complete', (record) => log(`· ${transferLine({ ...record, profile: device.profile, transfers: 0, resets: 0 })}`));
  device.on('transfer-failed', (record) => log(`· ${transferLine({ ...record, profile: device.profile, transfers: 0, resets: 0 })}`));
  device.on('reset', ({ reason, portVanishes, returnsAfterMs }) =>
    log(`· reset (${reason})${portVanishes ? ': the port goes away' : ''}${returnsAfterMs === undefined ? ' for good' : ''}`),
  );
  device.on('boot', () => log('· booted: running its application'));
  if (verbose) {
    device.on('text', (text) => {
      for (const line of text.split(/\r?\n/)) if (line.trim() !== '') log(`  device: ${line}`);
    });
  }
}

/** The summary: `accepted NAME: SIZE bytes at ADDRESS, installed at …, sha256 …` or why not. */
export function transferLine(summary: EmulationSummary, imagePath?: string): string {
  if (summary.status === 'none') return 'no transfer: nothing was received';
  const facts: string[] = [];
  if (summary.size !== undefined) facts.push(`${summary.size} bytes${summary.address !== undefined ? ` at ${formatAddress(summary.address)}` : ''}`);
  if (summary.installedAt !== undefined) facts.push(`installed at ${formatAddress(summary.installedAt)}`);
  if (summary.notInstalled !== undefined) facts.push(`not installed: ${summary.notInstalled}`);
  if (summary.sha256 !== undefined) facts.push(`sha256 ${summary.sha256}`);
  if (imagePath !== undefined) facts.push(`written to ${imagePath}`);
  const name = summary.name ?? 'a file';
  if (summary.status === 'accepted') return `accepted ${name}: ${facts.join(', ')}`;
  const why = REASON_WORDS[summary.reason ?? ''] ?? summary.reason ?? 'no reason given';
  return `${summary.status}: ${why} (${[name, ...facts].join(', ')})`;
}

/** The strict receivers record how the session ended; say it in words. */
const REASON_WORDS: Record<string, string> = {
  'sender-cancelled': 'the sender cancelled',
  'user-abort': 'the sender aborted',
  'too-many-errors': 'too many errors in a row',
  'out-of-sequence': 'a block arrived out of sequence',
  'device-cancelled': 'the device cancelled',
  'write-failed': 'storing a block failed',
  refused: 'the device refused the file',
};

export function summaryJson(summary: EmulationSummary, extra: Record<string, unknown>): string {
  return JSON.stringify({ ...summary, ...extra });
}
