/** The receiver dialects the emulator's devices speak: a new one is a file and an entry here. */
import type { ReceiverDialectStrategy } from './dialect.js';
import { particleDialect } from './particle.js';
import { strictDialect } from './strict.js';
import { xmodemDialect } from './xmodem.js';

export const RECEIVER_DIALECTS = {
  strict: strictDialect,
  particle: particleDialect,
  xmodem: xmodemDialect,
} as const satisfies Record<string, ReceiverDialectStrategy>;

export type ReceiverDialectName = keyof typeof RECEIVER_DIALECTS;
