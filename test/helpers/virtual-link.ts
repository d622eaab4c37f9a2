/** Opens serialport's real stream over a virtual binding with one scripted device behind it. */
import { SerialPortStream } from '@serialport/stream';
import { VirtualBinding, type VirtualPortOptions, type VirtualWire } from '../../src/emulator/virtual-binding.js';
import type { BlockSource } from '../../src/protocol/ymodem-sender.js';

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

/** Deterministic test data: every byte differs from its neighbours so shifts show up. */
export function testData(size: number, seed = 1): Buffer {
  const data = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return data;
}

export function bufferBlockSource(data: Buffer, name = 'firmware.bin'): BlockSource {
  return {
    name,
    size: data.length,
    mtimeSeconds: 1_700_000_000,
    mode: 0o100644,
    read: async (offset, length) => data.subarray(offset, offset + length),
  };
}
