/**
 * A VirtualWire that passes everything through to the device behind it and reports every
 * byte that crosses, in either direction. It sits where a device meets its transport (the
 * TCP host, the in-process binding), so a trace shows what was on the line, whichever
 * device answers and without any device knowing.
 */
import type { DeviceEnd, VirtualWire } from './virtual-binding.js';

/** `to-device`: the host wrote it; `to-host`: the device sent it. */
export type WireDirection = 'to-device' | 'to-host';

export type WireListener = (direction: WireDirection, data: Buffer) => void;

export function tapWire(wire: VirtualWire, listener: WireListener): VirtualWire {
  return {
    onHostData: (data) => {
      if (data.length > 0) listener('to-device', data);
      wire.onHostData(data);
    },
    onHostOpen: (end) => wire.onHostOpen?.(tapEnd(end, listener)),
    onHostClose: () => wire.onHostClose?.(),
    onLineCoding: (baudRate) => wire.onLineCoding?.(baudRate),
    onControlLines: (lines) => wire.onControlLines?.(lines),
  };
}

function tapEnd(end: DeviceEnd, listener: WireListener): DeviceEnd {
  return {
    send: (data) => {
      // A copy: the device may reuse its buffer once send returns.
      if (data.length > 0) listener('to-host', Buffer.from(data));
      end.send(data);
    },
    disconnect: () => end.disconnect(),
  };
}
