/** Section: several virtual devices flashed at once by concurrent flash() calls in one process. */
import { testData } from '../helpers/virtual-link.js';
import type { ImageDir } from './images.js';
import { serialFlashConcurrently } from './paced-link.js';
import { bytesPerSecond, median, seconds, table } from './stats.js';
import type { LineSpec } from './theory.js';

export async function manyDevices(images: ImageDir, line: LineSpec, bytes: number, counts: number[], log: (line: string) => void): Promise<string> {
  const data = testData(bytes, 4242);
  const file = images.write(`many-${bytes}.bin`, data);
  const rows: string[][] = [];
  let single = 0;
  for (const count of counts) {
    const { wallMs, sessions } = await serialFlashConcurrently(line, 1024, file, data, count);
    const session = median(sessions.map((s) => s.elapsedMs));
    if (count === 1) single = session;
    log(`  ${count} device(s) at once: all done in ${seconds(wallMs)}, median session ${seconds(session)}`);
    rows.push([
      `${count}`,
      seconds(wallMs),
      seconds(session),
      single ? `${(session / single).toFixed(3)}×` : '—',
      bytesPerSecond(bytes * count, wallMs),
    ]);
  }
  return table(['devices', 'wall time, all flashed', 'median session (header to final ACK)', 'session against one device alone', 'aggregate payload rate'], rows);
}
