/**
 * A virtual device behind a real pseudo-terminal, for benchmarks that run the real CLI as a
 * child process: socat joins two ptys; this process holds one end with the native serialport
 * binding and bridges it to the device (optionally through the same PacedLine code the
 * virtual binding uses); the child opens the other end like any serial port.
 */
import { SerialPortStream } from '@serialport/stream';
import { createVirtualDevice, type VirtualDeviceOptions } from '../../src/emulator/index.js';
import { PacedLine } from '../../src/emulator/paced-line.js';
import type { VirtualDevice } from '../../src/emulator/virtual-device.js';
import { loadNativeBinding } from '../../src/transport/ports.js';
import { ptyPair } from '../helpers/system-tools.js';
import type { LineSpec } from './theory.js';

export interface PtyDevice<D extends VirtualDevice = VirtualDevice> {
  /** The path the child process opens. */
  path: string;
  device: D;
  close(): Promise<void>;
}

export async function ptyDevice<D extends VirtualDevice = VirtualDevice>(
  profile: string,
  options: VirtualDeviceOptions,
  line?: LineSpec,
): Promise<PtyDevice<D>> {
  const pair = await ptyPair();
  const binding = await loadNativeBinding();
  const port = new SerialPortStream({ binding, path: pair.b, baudRate: line?.baud ?? 115_200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  const { device } = createVirtualDevice(profile, options);
  const toDevice = new PacedLine(line ? line.baud / 10 : undefined, line?.latencyMs ?? 0);
  const toHost = new PacedLine(line ? line.baud / 10 : undefined, line?.latencyMs ?? 0);
  port.on('data', (chunk: Buffer) => toDevice.deliver(chunk, (arrived) => device.onHostData(arrived)));
  port.on('error', () => undefined);
  device.onHostOpen({
    send: (bytes) => toHost.deliver(Buffer.from(bytes), (chunk) => {
      if (port.isOpen) port.write(chunk);
    }),
    disconnect: () => undefined,
  });
  return {
    path: pair.a,
    device: device as D,
    close: async () => {
      device.dispose();
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await pair.close();
    },
  };
}
