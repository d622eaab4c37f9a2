/**
 * Asking a device in listening mode who it is: `s` prints one line of JSON with its platform
 * id and its modules (docs/protocol.md §2):
 *
 *   {"p":6,"m":[{"s":16384,"l":"m","vc":30,"vv":30,"f":"b","n":"0","v":11,"d":[]},
 *               {"s":262144,"l":"m","vc":30,"vv":30,"f":"s","n":"1","v":1512,"d":[…]}, …]}
 *
 * `f` is the module function (b bootloader, s system part, u user part, m monolithic),
 * `n` its index, `v` its version, `d` its dependencies ({f, n, v}), `vc`/`vv` the validation
 * checks made and passed. The Spark Core prints `{"p":0,"m":[]}` (no modules), early
 * Electrons key/value pairs and no modules, and Core firmware before 0.4 nothing at all:
 * the platform is checked whenever there is an answer, dependencies whenever modules are listed.
 */
import { imageRefusedError, TransferError } from '../../errors.js';
import { forcedWarning, type ImageRefusal } from '../../image/firmware-file.js';
import { waitForText } from '../console.js';
import type { DeviceSession } from '../profile.js';
import { platformById, withArticle } from '../platforms.js';
import { switchToListeningRate } from './listening-mode.js';
import { describeModule, MODULE_FUNCTION, type ModuleInfo } from './module-info.js';

/** The answer takes a few ms; a device that has no `s` stays silent. */
export const MODULE_LIST_TIMEOUT_MS = 2_000;
/** One line, from `{"p":` to the closing brace and the line end. */
const MODULE_LIST = /\{"p":\d+[^\r\n]*\}\r?\n/;

const FUNCTION_LETTERS: Record<string, number> = {
  b: MODULE_FUNCTION.bootloader,
  m: MODULE_FUNCTION.monolithic,
  s: MODULE_FUNCTION.systemPart,
  u: MODULE_FUNCTION.userPart,
};

export interface DeviceModule {
  /** Module function as in the module header (4 system part, 5 user part), or undefined for other letters. */
  moduleFunction?: number;
  index: number;
  version: number;
  /** Every check the device made passed (vv equals vc, and something was checked). */
  valid: boolean;
  /** Hex SHA-256 of a user part, when the device prints it. */
  sha256?: string;
}

export interface DeviceModules {
  platformId: number;
  /** Empty where the device lists none (Spark Core, early Electron firmware). */
  modules: DeviceModule[];
}

/** The module list in a device's answer, or undefined when there is none (or it is not JSON). */
export function parseModuleList(text: string): DeviceModules | undefined {
  const line = MODULE_LIST.exec(text)?.[0];
  if (!line) return undefined;
  let parsed: { p?: unknown; m?: unknown };
  try {
    parsed = JSON.parse(line) as { p?: unknown; m?: unknown };
  } catch {
    return undefined;
  }
  if (typeof parsed.p !== 'number') return undefined;
  const listed = Array.isArray(parsed.m) ? (parsed.m as Record<string, unknown>[]) : [];
  const modules = listed
    .filter((m) => typeof m.f === 'string' && m.v !== undefined)
    .map((m) => ({
      moduleFunction: FUNCTION_LETTERS[m.f as string],
      index: Number(m.n),
      version: Number(m.v),
      valid: Number(m.vc) > 0 && m.vc === m.vv,
      ...(typeof m.u === 'string' && m.u !== '' ? { sha256: m.u.toLowerCase() } : {}),
    }));
  return { platformId: parsed.p, modules };
}

/** Sends `s` and reads the answer; undefined when the device does not have the key. */
export async function askModules(session: DeviceSession, timeoutMs = MODULE_LIST_TIMEOUT_MS): Promise<DeviceModules | undefined> {
  await session.write('s');
  const { match } = await waitForText(session, MODULE_LIST, timeoutMs);
  return match ? parseModuleList(match[0]) : undefined;
}

/** The device's module with this function and index. */
export function findModule(device: DeviceModules, moduleFunction: number, index: number): DeviceModule | undefined {
  return device.modules.find((m) => m.moduleFunction === moduleFunction && m.index === index);
}

function platformName(id: number): string {
  const known = platformById(id);
  return known ? `${withArticle(known)} (platform ${id})` : `platform ${id}`;
}

/** For `info`: "Photon (platform 6)" and "system part 1 version 1502", "user part version 6 (fails its checks)". */
export function describeDevice(device: DeviceModules): { platform: string; modules: string[] } {
  const known = platformById(device.platformId);
  return {
    platform: known ? `${known.name} (platform ${device.platformId})` : `platform ${device.platformId}`,
    modules: device.modules.map((m) => `${describeModule(m.moduleFunction ?? 0, m.index)} version ${m.version}${m.valid ? '' : ' (fails its checks)'}`),
  };
}

/**
 * What the device's own answer rules out: another platform, or a module whose dependencies
 * its system firmware does not meet (Device OS would refuse it only after the whole transfer).
 */
export function refusalsFromDevice(image: ModuleInfo | { platformId: number }, device: DeviceModules, imageName: string): ImageRefusal[] {
  if (image.platformId !== device.platformId) {
    return [
      {
        field: 'platform',
        expected: String(device.platformId),
        actual: String(image.platformId),
        message: `${imageName} is for ${platformName(image.platformId)} but the device says it is ${platformName(device.platformId)}; build it for that device.`,
      },
    ];
  }
  if (!('dependencies' in image) || device.modules.length === 0) return [];
  const refusals: ImageRefusal[] = [];
  for (const dependency of image.dependencies) {
    if (dependency.moduleFunction === 0) continue;
    const needed = describeModule(dependency.moduleFunction, dependency.index);
    const present = findModule(device, dependency.moduleFunction, dependency.index);
    if (present && present.valid && present.version >= dependency.version) continue;
    const has = !present ? 'has none' : !present.valid ? `has version ${present.version}, which is not valid` : `has version ${present.version}`;
    refusals.push({
      field: 'dependencies',
      expected: `${needed} version ${dependency.version} or later`,
      actual: present ? `version ${present.version}` : 'none',
      message: `${imageName} needs ${needed} version ${dependency.version} or later and the device ${has}; flash ${needed} (version ${dependency.version} or later) first, then this ${describeModule(image.moduleFunction, image.index)}.`,
    });
  }
  return refusals;
}

/**
 * Asks the device in listening mode what it is and refuses, before a byte of the image is
 * sent, what it rules out. Returns the device's answer (undefined when it has no `s`, and
 * then only the image's own checks stand).
 *
 * `signalled`: serial-flash put the device in listening mode (28800 baud), so after a refusal
 * it tells it to leave (`x`); one found listening behind a port that cannot pass the signal
 * stays listening, or the user would have to hold MODE again before the next try.
 */
export async function checkImageWithDevice(
  session: DeviceSession,
  image: ModuleInfo | { platformId: number },
  imageName: string,
  options: { force?: boolean; signalled: boolean },
): Promise<DeviceModules | undefined> {
  const device = await askModules(session);
  if (!device) {
    session.onStep("the device did not list its modules ('s'), so only the image's own header was checked");
    return undefined;
  }
  const modules = describeDevice(device).modules.join(', ');
  session.onStep(`the device says it is ${platformName(device.platformId)}${modules ? ` with ${modules}` : ''}`);
  const refusals = refusalsFromDevice(image, device, imageName);
  if (refusals.length === 0) return device;
  if (options.force) {
    session.onForced(refusals, forcedWarning(imageName, "the device's answer refuses it", refusals));
    return device;
  }
  if (options.signalled) await session.write('x');
  throw imageRefusedError(refusals);
}

/**
 * `--verify` on the restarted device: back to listening mode, `s`, and the module the image
 * holds must be listed in its slot with the image's version and pass the device's own checks.
 */
export async function verifyModuleInstalled(session: DeviceSession, image: ModuleInfo, imageName: string, imageSha256?: string): Promise<string> {
  if (!(await switchToListeningRate(session, 'listening mode'))) {
    throw new TransferError('NO_ANSWER', `${session.connection.path} cannot pass the 28800-baud signal on, so the restarted device cannot be asked.`, { phase: 'verify' });
  }
  const device = await askModules(session);
  // Still starting (or not listening yet): the caller tries again.
  if (!device) throw new TransferError('NO_ANSWER', 'the restarted device did not list its modules yet', { phase: 'verify' });
  await session.write('x');
  const what = describeModule(image.moduleFunction, image.index);
  const installed = findModule(device, image.moduleFunction, image.index);
  const problem = !installed
    ? `lists no ${what}`
    : installed.version !== image.version
      ? `has ${what} version ${installed.version}, not the version ${image.version} of ${imageName}`
      : !installed.valid
        ? `has ${what} version ${installed.version} but its own checks fail it (CRC, dependencies or platform)`
        : imageSha256 !== undefined && installed.sha256 !== undefined && installed.sha256 !== imageSha256
          ? `has ${what} version ${installed.version} whose SHA-256 (${installed.sha256.slice(0, 12)}…) is not the one in ${imageName}'s suffix (${imageSha256.slice(0, 12)}…), so it keeps another build of that version`
          : undefined;
  if (problem) {
    throw new TransferError(
      'VERIFY_FAILED',
      `The device restarted and ${problem}; it did not install the image, so flash it again, and check its dependencies with --verbose.`,
      { phase: 'verify' },
    );
  }
  const sameBuild = imageSha256 !== undefined && installed!.sha256 === imageSha256 ? ', the same build by its SHA-256' : '';
  return `${what} version ${installed!.version} installed and valid${sameBuild}`;
}
