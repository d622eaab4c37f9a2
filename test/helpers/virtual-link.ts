/** Opens serialport's real stream over a virtual binding with one scripted device behind it. */
import { SerialPortStream } from '@serialport/stream';
import { VirtualBinding, type VirtualPortOptions, type VirtualWire } from '../../src/emulator/virtual-binding.js';
import type { BlockSource } from '../../src/protocol/file-sender.js';

export async function openVirtualStream(wire: VirtualWire, options: VirtualPortOptions = {}) {
  const binding = new VirtualBinding();
  const path = '/dev/virtual-test';
  binding.add(path, wire, options);
  const stream = new SerialPortStream({ binding, path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => stream.open((error) => (error ? reject(error) : resolve())));
  const close = () =>
    new Promise<void>((resolve) => {
      if (!stream.isOpen) return resolve();
      stream.close(() => resolve());
    });
  return { binding, path, stream, close };
}

export { testData } from './test-data.js';

export function bufferBlockSource(data: Buffer, name = 'firmware.bin'): BlockSource {
  return {
    name,
    size: data.length,
    mtimeSeconds: 1_700_000_000,
    mode: 0o100644,
    read: async (offset, length) => data.subarray(offset, offset + length),
  };
}
