import type { DeviceSession } from '../devices/profile.js';
import type { ByteReader } from '../protocol/byte-reader.js';
import type { Connection } from '../transport/connection.js';
import type { FlashEvent } from './events.js';

/** The open port as device profiles see it, reporting what they print and do as events. */
export function deviceSession(
  connection: Connection,
  reader: ByteReader,
  signal: AbortSignal | undefined,
  emit: (e: FlashEvent) => void,
  timeScale = 1,
): DeviceSession {
  return {
    connection,
    reader,
    signal,
    timeScale,
    write: (data) =>
      new Promise<void>((resolve, reject) => connection.stream.write(data, (error) => (error ? reject(error) : resolve()))),
    onText: (text) => emit({ type: 'device-text', text }),
    onStep: (message) => emit({ type: 'step', message }),
  };
}
