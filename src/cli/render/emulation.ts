/** What `serial-flash emulate` prints: who is being served, what happens, and the one-line summary. */
import type { EmulationSummary } from '../../emulator/received-image.js';
import type { TcpHost } from '../../emulator/tcp-host.js';
import type { VirtualDevice } from '../../emulator/virtual-device.js';
import { formatAddress } from '../../image/address.js';
import { countBytes } from './format.js';

/** Where what happens goes: a line for people, and the same as an event for programs. */
export interface ActivityOutput {
  line(text: string): void;
  event(type: string, fields?: Record<string, unknown>): void;
}

/**
 * Follows the device and its host: a line and an event for each happening; `verbose` adds
 * every line the device prints; `listeningKey` says the l key works (the terminal is read).
 */
export function followActivity(device: VirtualDevice, host: TcpHost, out: ActivityOutput, { verbose, listeningKey }: { verbose: boolean; listeningKey: boolean }): void {
  host.on('connect', (peer) => {
    out.line(`· connected: ${peer}`);
    out.event('connect', { peer });
  });
  host.on('disconnect', (peer, byDevice) => {
    out.line(`· disconnected: ${peer}${byDevice ? ' (the device port went away)' : ''}`);
    out.event('disconnect', { peer, byDevice });
  });
  host.on('refuse', (peer, why) => {
    out.line(`· turned away ${peer}: ${why === 'busy' ? 'another client holds the port (one at a time)' : 'the device is restarting'}`);
    out.event('refuse', { peer, why });
  });
  device.on('mode', (mode) => {
    out.line(`· mode: ${mode}`);
    out.event('mode', { mode });
  });
  device.on('transfer-start', ({ name, size }) => {
    // XMODEM sends neither a name nor a size.
    out.line(Number.isFinite(size) ? `· receiving ${name}, ${countBytes(size)}` : '· receiving a file (no name or size: XMODEM)');
    out.event('transfer-start', { name, size });
  });
  for (const verdict of ['transfer-complete', 'transfer-failed'] as const) {
    device.on(verdict, (record) => {
      out.line(`· ${transferLine({ ...record, profile: device.profile, transfers: 0, resets: 0 })}`);
      out.event(verdict, { ...record });
    });
  }
  device.on('reset', ({ reason, portVanishes, returnsAfterMs }) => {
    out.line(`· reset (${reason})${portVanishes ? ': the port goes away' : ''}${returnsAfterMs === undefined ? ' for good' : ''}`);
    out.event('reset', { reason, portVanishes, ...(returnsAfterMs === undefined ? {} : { returnsAfterMs }) });
  });
  device.on('boot', () => {
    const again = listeningKey ? 'press l here (or start with --stay-listening)' : 'start the emulator with --stay-listening';
    out.line(
      device.mode === 'listening'
        ? '· booted: back in listening mode (--stay-listening)'
        : `· booted: running its application${'enterListeningMode' in device ? `; to flash it again, ${again} for listening mode` : ''}`,
    );
    out.event('boot', { mode: device.mode });
  });
  if (verbose) {
    device.on('text', (text) => {
      for (const line of text.split(/\r?\n/)) {
        if (line.trim() === '') continue;
        out.line(`  device: ${line}`);
        out.event('device-text', { text: line });
      }
    });
  }
}

/** The summary: `accepted NAME: SIZE bytes at ADDRESS, installed at …, sha256 …` or why not. */
export function transferLine(summary: EmulationSummary, imagePath?: string): string {
  if (summary.status === 'none') return 'no transfer: nothing was received';
  const facts: string[] = [];
  if (summary.size !== undefined) facts.push(`${countBytes(summary.size)}${summary.address !== undefined ? ` at ${formatAddress(summary.address)}` : ''}`);
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
