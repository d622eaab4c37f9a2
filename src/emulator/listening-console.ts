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
  /** The `s` line, computed when asked (the modules change when one is installed); undefined: no `s`. */
  moduleList?: () => string;
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
      return who.moduleList ? { kind: 'text', lines: [who.moduleList()] } : { kind: 'none' };
    case 'x':
      return { kind: 'leave' };
    case 'f':
      return { kind: 'flash' };
    default:
      return { kind: 'none' };
  }
}

/**
 * The `s` line as Device OS writes it (system_info_to_json): `{"p":<platform>,"m":[…]}`, each
 * module `{"s":<slot size>,"l":"m","vc":<checks made>,"vv":<checks passed>,["u":<user part
 * SHA-256>,]"f":<function>,"n":<index>,"v":<version>,"d":[{"f","n","v","_":""}]}`; a slot
 * without a module header has no f, n, v. The Core lists no modules: `{"p":0,"m":[]}`.
 */
export interface ListedModule {
  slotBytes: number;
  checked: number;
  passed: number;
  sha256?: string;
  module?: { function: string; index: number; version: number; dependencies: { function: string; index: number; version: number }[] };
}

export function moduleListLine(platformId: number, modules: readonly ListedModule[]): string {
  const listed = modules.map((m) => ({
    s: m.slotBytes,
    l: 'm',
    vc: m.checked,
    vv: m.passed,
    ...(m.sha256 !== undefined ? { u: m.sha256.toUpperCase() } : {}),
    ...(m.module ? { f: m.module.function, n: String(m.module.index), v: m.module.version } : {}),
    d: (m.module?.dependencies ?? []).map((d) => ({ f: d.function, n: String(d.index), v: d.version, _: '' })),
  }));
  return JSON.stringify({ p: platformId, m: listed });
}

/** The module version Device OS gives release x.y.z from 1.0 on (x·1000 + y·100 + z); the emulator uses it for every release. */
export function moduleVersionOf(version: string): number {
  const [x = 0, y = 0, z = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return x * 1000 + y * 100 + z;
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
