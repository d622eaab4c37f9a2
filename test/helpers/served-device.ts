/**
 * A virtual device served the ways a real one is reached: on a pseudo-terminal that carries
 * the line rate (as a USB CDC port does), and through a real ser2net RFC 2217 server in front
 * of that pty. Everything started here is stopped, and every temporary file removed, by close().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVirtualDevice, type VirtualDeviceOptions } from '../../src/emulator/index.js';
import { servePty, type PtyHost } from '../../src/emulator/pty-host.js';
import { TcpHost } from '../../src/emulator/tcp-host.js';
import type { VirtualDevice } from '../../src/emulator/virtual-device.js';

export const SER2NET = { name: 'ser2net', apt: 'ser2net' };
export const PERL = { name: 'perl', apt: 'perl' };

export interface ServedDevice {
  device: VirtualDevice;
  /** tcp://127.0.0.1:PORT (raw, no line rate). */
  url: string;
  /** The pty, carrying the line rate. */
  pty: string;
  close(): Promise<void>;
}

export async function serveDevice(profile: string, options: VirtualDeviceOptions = {}): Promise<ServedDevice> {
  const { device, wire } = createVirtualDevice(profile, options);
  const host = await TcpHost.listen(wire, { device });
  let pty: PtyHost;
  try {
    pty = await servePty(host, { onLineRate: (rate) => wire.onLineCoding?.(rate) });
  } catch (error) {
    await host.close();
    throw error;
  }
  return {
    device,
    url: host.url,
    pty: pty.path,
    close: async () => {
      device.dispose();
      await pty.close();
      await host.close();
    },
  };
}

export interface Ser2net {
  /** rfc2217://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

/** ser2net 4 with an RFC 2217 accepter on a port the system picks, in front of `device`. */
export async function startSer2net(device: string): Promise<Ser2net> {
  const dir = mkdtempSync(join(tmpdir(), 'serial-flash-ser2net-'));
  const config = join(dir, 'ser2net.yaml');
  writeFileSync(
    config,
    ['connection: &device', '  accepter: telnet(rfc2217),tcp,127.0.0.1,0', `  connector: serialdev,${device},115200n81,local`, ''].join('\n'),
  );
  const child = spawn('ser2net', ['-n', '-u', '-c', config, '-P', join(dir, 'pid')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill();
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await listeningPort(child);
    return { url: `rfc2217://127.0.0.1:${port}`, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The TCP port a process listens on, from /proc (ser2net binds port 0 and does not say which it got). */
async function listeningPort(child: ChildProcess): Promise<number> {
  for (let attempt = 0; attempt < 250; attempt++) {
    if (child.exitCode !== null) break;
    const port = listeningPortOf(child.pid!);
    if (port !== undefined) return port;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('ser2net did not start listening');
}

function listeningPortOf(pid: number): number | undefined {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((inode): inode is string => inode !== undefined),
    );
  } catch {
    return undefined;
  }
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let rows: string[];
    try {
      rows = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const row of rows) {
      const fields = row.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, inode is the tenth field.
      if (fields[3] === '0A' && inodes.has(fields[9] ?? '')) return Number.parseInt(fields[1]!.split(':')[1]!, 16);
    }
  }
  return undefined;
}
