/**
 * `serial-flash emulate` arguments → virtual device options, refusing (with the option's name)
 * what the chosen profile cannot do rather than silently ignoring it.
 */
import type { VirtualDeviceOptions } from '../emulator/profiles.js';
import type { FaultOptions } from '../emulator/faults.js';
import { PROFILE_TRAITS, type ProfileOption, requireProfileTraits } from '../emulator/profile-traits.js';
import { InputError } from '../errors.js';
import { splitTcpUrl } from '../transport/tcp.js';

export interface EmulateArgs {
  /** A virtual device's name or alias. */
  profile: string;
  firmwareVersion?: string;
  listening: boolean;
  stayListening?: boolean;
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

export function deviceOptionsFrom(args: EmulateArgs): VirtualDeviceOptions {
  const traits = requireProfileTraits(args.profile);
  const options: VirtualDeviceOptions = {};
  const only = (option: ProfileOption) => {
    if (traits.takes.includes(option)) return;
    const takers = PROFILE_TRAITS.filter((other) => other.takes.includes(option)).map((other) => other.name);
    throw new InputError('BAD_OPTION', `--${option} applies to the ${takers.join(', ')} profiles, not ${traits.name}.`);
  };
  if (args.firmwareVersion !== undefined) {
    if (!traits.firmwareOptions) throw new InputError('BAD_OPTION', `--firmware-version does not apply to the ${traits.name} profile (it has no versions).`);
    Object.assign(options, traits.firmwareOptions(args.firmwareVersion));
  }
  if (args.listening) {
    only('listening');
    options.listening = true;
  }
  if (args.stayListening) {
    only('stay-listening');
    options.stayListening = true;
  }
  if (args.seed !== undefined) options.seed = integer('--seed', args.seed, 0);
  if (args.eraseMs !== undefined) {
    only('erase-ms');
    options.eraseMs = nonNegative('--erase-ms', args.eraseMs);
  }
  if (args.writeMs !== undefined) {
    only('write-ms');
    options.writeMs = nonNegative('--write-ms', args.writeMs);
  }
  if (args.timeScale !== undefined) {
    if (!(args.timeScale > 0) || !Number.isFinite(args.timeScale)) {
      throw new InputError('BAD_OPTION', '--time-scale takes a number above 0, e.g. 0.1 for device timeouts ten times shorter.');
    }
    options.timeScale = args.timeScale;
  }
  if (traits.oneSession && args.once) options.once = true;
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
