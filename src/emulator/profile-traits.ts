/**
 * What each virtual device is called and what it takes, apart from the implementations: the
 * CLI reads these at every start (choices, help, option checks), and importing the devices
 * themselves just for that doubled the modules `serial-flash --help` loads. The names are the
 * device registry's own where one exists (`spark-core`, as `--target spark-core`), so both
 * sides of a test speak one vocabulary. The factories are in profiles.ts, keyed by these names.
 */
import { InputError } from '../errors.js';
import type { ParticleFirmware } from './particle-device.js';
import type { VirtualDeviceOptions } from './profiles.js';

/** Options only some virtual devices take; the others refuse them, naming who does. */
export type ProfileOption = 'listening' | 'stay-listening' | 'erase-ms' | 'write-ms';

export interface ProfileTraits {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** One line for help and the list of profiles. */
  readonly summary: string;
  /** A command line for emulate's --help (what follows `serial-flash emulate`), and what it does. */
  readonly example?: readonly [args: string, description: string];
  readonly takes: readonly ProfileOption[];
  /** What `--firmware-version` means here, for help; absent: the profile has no versions. */
  readonly firmwareHelp?: string;
  /** `--firmware-version TEXT` → device options; throws a sentence when TEXT does not fit. */
  firmwareOptions?(text: string): VirtualDeviceOptions;
  /** `--once`: the receiver itself takes one session, ever (besides the emulator exiting). */
  readonly oneSession?: boolean;
  /** Its receiver checks block CRCs (damaged blocks are refused, not stored). */
  readonly checksBlockCrc: boolean;
  /** It starts listening on a line rate (28800 baud), which raw TCP cannot carry. */
  readonly listensOnLineRate: boolean;
}

/** The generations `--firmware-version` accepts by name, besides exact x.y.z versions. */
export const FIRMWARE_GENERATIONS: readonly ParticleFirmware[] = ['0.4.x', '0.5', '0.6.1+', '6.x'];

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

const exactVersion = (text: string) => (/^\d+\.\d+\.\d+$/.test(text) ? { systemVersion: text } : {});

function particleFirmware(text: string): VirtualDeviceOptions {
  const generation = generationOf(text);
  if (generation === undefined) {
    throw new InputError(
      'BAD_OPTION',
      `--firmware-version takes ${FIRMWARE_GENERATIONS.join(', ')} or a Device OS version from 0.4.2 on (e.g. 1.5.2), not ${text}.`,
    );
  }
  return { firmwareVersion: generation, ...exactVersion(text) };
}

function particle(name: string, summary: string, example?: ProfileTraits['example']): ProfileTraits {
  return {
    name,
    summary,
    example,
    takes: ['listening', 'stay-listening', 'erase-ms', 'write-ms'],
    firmwareHelp: `${FIRMWARE_GENERATIONS.join(', ')} or x.y.z (default 1.5.2)`,
    firmwareOptions: particleFirmware,
    checksBlockCrc: false,
    listensOnLineRate: true,
  };
}

/** The first is `emulate`'s default. */
export const PROFILE_TRAITS: readonly ProfileTraits[] = [
  particle('photon', 'Particle Photon (Device OS serial YMODEM, listening mode, DTR-gated USB)', [
    '--listening --listen tcp://127.0.0.1:2000',
    'a Photon in listening mode on TCP port 2000, to flash at tcp://127.0.0.1:2000',
  ]),
  particle('p1', 'Particle P1 (as the Photon)'),
  particle('electron', 'Particle Electron (as the Photon, 300 s no-chunk reset)'),
  {
    name: 'spark-core',
    aliases: ['core'],
    summary: 'Spark Core on 0.4.x (silent 28800 receiver, external flash staging, no validation)',
    takes: ['listening', 'stay-listening', 'erase-ms', 'write-ms'],
    firmwareHelp: '0.4.x or 0.4.2–0.4.9',
    firmwareOptions: (text) => {
      if (generationOf(text) !== '0.4.x') {
        throw new InputError('BAD_OPTION', `The spark-core profile models Spark Core firmware 0.4.x; --firmware-version ${text} is not one of those.`);
      }
      return exactVersion(text);
    },
    checksBlockCrc: false,
    listensOnLineRate: true,
  },
  {
    name: 'ymodem',
    summary: 'A standard YMODEM receiver like lrzsz rb',
    example: ['-p ymodem --once --image out.bin', 'receive one file like rb and keep it'],
    takes: [],
    oneSession: true,
    checksBlockCrc: true,
    listensOnLineRate: false,
  },
  {
    name: 'bootrom',
    summary: "A boot ROM's XMODEM loader: asks with NAK every second until block 1",
    example: ['-p bootrom --once --image out.bin', 'receive one file as a boot ROM would (flash it with --protocol xmodem)'],
    takes: [],
    oneSession: true,
    checksBlockCrc: true,
    listensOnLineRate: false,
  },
  {
    name: 'uboot',
    summary: 'U-Boot console with loady',
    takes: [],
    example: ['-p uboot --pty', 'a U-Boot console on a pseudo-terminal'],
    firmwareHelp: 'banner version',
    firmwareOptions: (text) => ({ ubootVersion: text }),
    checksBlockCrc: true,
    listensOnLineRate: false,
  },
];

export const PROFILE_NAMES: readonly string[] = PROFILE_TRAITS.map((traits) => traits.name);
/** Every name `--profile` accepts: the names, then their aliases. */
export const PROFILE_CHOICES: readonly string[] = [...PROFILE_NAMES, ...PROFILE_TRAITS.flatMap((traits) => traits.aliases ?? [])];

export function profileTraits(name: string): ProfileTraits | undefined {
  return PROFILE_TRAITS.find((traits) => traits.name === name || traits.aliases?.includes(name));
}

/** The traits of `name` (a name or an alias), or the refusal every unknown name gets. */
export function requireProfileTraits(name: string): ProfileTraits {
  const traits = profileTraits(name);
  if (!traits) throw new InputError('UNKNOWN_PROFILE', `There is no virtual device called "${name}"; choose one of ${PROFILE_CHOICES.join(', ')}.`, { profile: name });
  return traits;
}

/** `--firmware-version` for help: the profiles that share a meaning, then the meaning. */
export function firmwareVersionHelp(): string {
  const byMeaning = new Map<string, string[]>();
  for (const traits of PROFILE_TRAITS) {
    if (traits.firmwareHelp) byMeaning.set(traits.firmwareHelp, [...(byMeaning.get(traits.firmwareHelp) ?? []), traits.name]);
  }
  return [...byMeaning].map(([meaning, names]) => `${names.join(', ')}: ${meaning}`).join('; ');
}

export function isProfileName(name: string): boolean {
  return profileTraits(name) !== undefined;
}
