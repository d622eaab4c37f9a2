/**
 * The listening-mode console of Spark/Particle devices (docs/protocol.md §2):
 * single keys, no line ending. This file only answers the information keys; what `f`, `x`
 * and a raw SOH/STX do is the device's decision.
 */

export const FLASH_PROMPT = "Waiting for the binary file to be sent ... (press 'a' to abort)";

export interface ConsoleIdentity {
  /** 'device' on Photon-class devices, 'core' on the Spark Core ("Your core id is …"). */
  noun: 'device' | 'core';
  deviceId: string;
  mac: string;
  /** x.y.z */
  systemVersion: string;
  platformId: number;
}

export type ConsoleAction = { kind: 'text'; lines: string[] } | { kind: 'flash' } | { kind: 'leave' } | { kind: 'none' };

/** The answer to one key. Keys that a given version lacks are ignored, as on the device. */
export function consoleKey(key: number, who: ConsoleIdentity): ConsoleAction {
  switch (String.fromCharCode(key)) {
    case 'i':
      return { kind: 'text', lines: [`Your ${who.noun} id is ${who.deviceId}`] };
    case 'v':
      // `v` arrived in 0.4.4.
      if (compareVersions(who.systemVersion, '0.4.4') < 0) return { kind: 'none' };
      return { kind: 'text', lines: [`system firmware version: ${who.systemVersion}`] };
    case 'm':
      return { kind: 'text', lines: [`Your ${who.noun} MAC address is`, who.mac] };
    case 's':
      return { kind: 'text', lines: [moduleInfoJson(who)] };
    case 'x':
      return { kind: 'leave' };
    case 'f':
      return { kind: 'flash' };
    default:
      return { kind: 'none' };
  }
}

/**
 * One line of JSON in the shape Device OS prints for `s` (abridged: platform and the modules
 * with their function, index and version; the real line also lists dependencies and hashes).
 */
function moduleInfoJson(who: ConsoleIdentity): string {
  const version = versionNumber(who.systemVersion);
  return JSON.stringify({
    p: who.platformId,
    m: [
      { s: 16384, l: 'm', vc: 30, vv: 30, f: 'b', n: '0', v: 11, d: [] },
      { s: 262144, l: 'm', vc: 30, vv: 30, f: 's', n: '1', v: version, d: [] },
      { s: 131072, l: 'm', vc: 30, vv: 30, u: '', f: 'u', n: '1', v: 6, d: [{ f: 's', n: '1', v: version, _: '' }] },
    ],
  });
}

/** Device OS encodes x.y.z as a module version number roughly as x*100+y*10+z (illustrative). */
function versionNumber(version: string): number {
  const [x = 0, y = 0, z = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return x * 100 + y * 10 + z;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A deterministic 24-hex-digit device id from a seed, so runs replay. */
export function deviceIdFromSeed(seed: number): string {
  let x = seed >>> 0 || 0x9e3779b9;
  let out = '';
  while (out.length < 24) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += (x >>> 0).toString(16).padStart(8, '0');
  }
  return out.slice(0, 24);
}

/** A MAC address derived from the device id (locally administered bit set). */
export function macFromDeviceId(deviceId: string): string {
  const bytes = deviceId.slice(-12).match(/../g)!.map((h) => Number.parseInt(h, 16));
  bytes[0] = (bytes[0]! | 0x02) & 0xfe;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
