/**
 * `serial-flash emulate` arguments → virtual device options, refusing (with the option's name)
 * what the chosen profile cannot do rather than silently ignoring it.
 */
import type { VirtualDeviceOptions, ProfileName } from '../emulator/profiles.js';
import type { FaultOptions } from '../emulator/faults.js';
import type { ParticleFirmware } from '../emulator/particle-device.js';
import { InputError } from '../errors.js';
import { splitTcpUrl } from '../transport/tcp.js';

export interface EmulateArgs {
  profile: ProfileName;
  firmwareVersion?: string;
  listening: boolean;
  seed?: number;
  dropAck?: number;
  corrupt?: number;
  noise?: number;
  firstAnswerMs?: number;
  dieAfter?: number;
  abortAfter?: number;
  eraseMs?: number;
  writeMs?: number;
  timeScale?: number;
  once: boolean;
}

const PARTICLE: readonly ProfileName[] = ['photon', 'p1', 'electron'];
const FAMILY: readonly ProfileName[] = [...PARTICLE, 'core'];
/** The generations `--firmware-version` accepts by name, besides exact x.y.z versions. */
export const FIRMWARE_GENERATIONS: readonly ParticleFirmware[] = ['0.4.x', '0.5', '0.6.1+', '6.x'];

export function deviceOptionsFrom(args: EmulateArgs): VirtualDeviceOptions {
  const { profile } = args;
  const options: VirtualDeviceOptions = {};
  const only = (option: string, profiles: readonly ProfileName[]) => {
    if (!profiles.includes(profile)) {
      throw new InputError('BAD_OPTION', `${option} applies to the ${profiles.join(', ')} profiles, not ${profile}.`);
    }
  };
  if (args.firmwareVersion !== undefined) Object.assign(options, firmwareOptions(profile, args.firmwareVersion));
  if (args.listening) {
    only('--listening', FAMILY);
    options.listening = true;
  }
  if (args.seed !== undefined) options.seed = integer('--seed', args.seed, 0);
  if (args.eraseMs !== undefined) {
    only('--erase-ms', FAMILY);
    options.eraseMs = nonNegative('--erase-ms', args.eraseMs);
  }
  if (args.writeMs !== undefined) {
    only('--write-ms', FAMILY);
    options.writeMs = nonNegative('--write-ms', args.writeMs);
  }
  if (args.timeScale !== undefined) {
    if (!(args.timeScale > 0) || !Number.isFinite(args.timeScale)) {
      throw new InputError('BAD_OPTION', '--time-scale takes a number above 0, e.g. 0.1 for device timeouts ten times shorter.');
    }
    options.timeScale = args.timeScale;
  }
  if (profile === 'ymodem' && args.once) options.once = true;
  const faults = faultOptions(args);
  if (Object.keys(faults).length > 0) options.faults = faults;
  return options;
}

function faultOptions(args: EmulateArgs): FaultOptions {
  const faults: FaultOptions = {};
  if (args.dropAck !== undefined) faults.dropAck = probability('--drop-ack', args.dropAck);
  if (args.corrupt !== undefined) faults.corrupt = probability('--corrupt', args.corrupt);
  if (args.noise !== undefined) faults.noiseEverySeconds = positive('--noise', args.noise);
  if (args.firstAnswerMs !== undefined) faults.firstAnswerMs = nonNegative('--first-answer-ms', args.firstAnswerMs);
  if (args.dieAfter !== undefined) faults.dieAfterBlocks = integer('--die-after', args.dieAfter, 1);
  if (args.abortAfter !== undefined) faults.abortAfterBlocks = integer('--abort-after', args.abortAfter, 1);
  return faults;
}

/**
 * Particle profiles take a generation name or an exact version (1.5.2 → 0.6.1+, printed by `v`);
 * the Core models 0.4.x only; U-Boot takes its banner version.
 */
function firmwareOptions(profile: ProfileName, text: string): VirtualDeviceOptions {
  if (profile === 'uboot') return { ubootVersion: text };
  if (profile === 'ymodem') throw new InputError('BAD_OPTION', '--firmware-version does not apply to the ymodem profile (a plain receiver has none).');
  const generation = generationOf(text);
  const exact = /^\d+\.\d+\.\d+$/.test(text) ? text : undefined;
  if (profile === 'core') {
    if (generation !== '0.4.x') {
      throw new InputError('BAD_OPTION', `The core profile models Spark Core firmware 0.4.x; --firmware-version ${text} is not one of those.`);
    }
    return exact ? { systemVersion: exact } : {};
  }
  if (generation === undefined) {
    throw new InputError(
      'BAD_OPTION',
      `--firmware-version takes ${FIRMWARE_GENERATIONS.join(', ')} or a Device OS version from 0.4.2 on (e.g. 1.5.2), not ${text}.`,
    );
  }
  return { firmwareVersion: generation, ...(exact ? { systemVersion: exact } : {}) };
}

/** The receiver dialect a Device OS version speaks (docs/protocol.md §1–3). */
export function generationOf(text: string): ParticleFirmware | undefined {
  if ((FIRMWARE_GENERATIONS as readonly string[]).includes(text)) return text as ParticleFirmware;
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return undefined;
  const v = (major: number, minor: number, patch: number) => major * 1_000_000 + minor * 1_000 + patch;
  const at = v(Number(match[1]), Number(match[2]), Number(match[3] ?? 0));
  if (at < v(0, 4, 2)) return undefined; // serial YMODEM arrived in 0.4.2
  if (at < v(0, 5, 0)) return '0.4.x';
  if (at < v(0, 6, 1)) return '0.5';
  if (at < v(6, 0, 0)) return '0.6.1+';
  return '6.x';
}

export function parseListenUrl(text: string): { host: string; port: number } {
  const split = splitTcpUrl(text);
  if (!('problem' in split)) return split;
  throw new InputError(
    'BAD_OPTION',
    `--listen ${text} is not usable (${split.problem}); write it as tcp://HOST:PORT, e.g. tcp://127.0.0.1:2000 (port 0: any free port).`,
  );
}

function probability(option: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new InputError('BAD_OPTION', `${option} takes a probability from 0 to 1, e.g. ${option} 0.05.`);
  return value;
}

function positive(option: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new InputError('BAD_OPTION', `${option} takes a number above 0, e.g. ${option} 2.`);
  return value;
}

function nonNegative(option: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new InputError('BAD_OPTION', `${option} takes a number of 0 or more, e.g. ${option} 50.`);
  return value;
}

function integer(option: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new InputError('BAD_OPTION', `${option} takes a whole number of ${min} or more, e.g. ${option} ${Math.max(min, 3)}.`);
  return value;
}
