/**
 * Device knowledge lives in src/devices and src/emulator: no other code names a device family
 * or a target, so a new family never needs an edit elsewhere. Comments may name them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLATFORMS } from '../src/devices/platforms.js';
import { profiles } from '../src/devices/registry.js';
import { PROFILE_TRAITS } from '../src/emulator/profile-traits.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
/** Where device knowledge belongs. */
const HOMES = ['devices', 'emulator'];
/** `npm run demo` is a scripted showcase of one device (a virtual Photon), not a code path of the tool. */
const SHOWCASES = ['cli/demo.ts'];
/** Protocol names, not device families: the plain YMODEM target is named after its protocol. */
const PROTOCOLS = new Set(['ymodem']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** The code of a file without its comments (line and block comments; strings are kept). */
function codeOf(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').replace(/\s\/\/ .*$/gm, '');
}

test('no code outside src/devices and src/emulator names a device family or target', () => {
  const names = new Set<string>();
  for (const profile of profiles()) for (const name of [profile.name, ...(profile.aliases ?? [])]) names.add(name);
  for (const traits of PROFILE_TRAITS) for (const name of [traits.name, ...(traits.aliases ?? [])]) names.add(name);
  for (const platform of PLATFORMS) names.add(platform.key).add(platform.name);
  for (const word of ['Particle', 'Spark', 'U-Boot', 'Device OS']) names.add(word);
  const wanted = [...names].filter((name) => !PROTOCOLS.has(name));
  const pattern = new RegExp(`(?<![\\w-])(${wanted.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?![\\w-])`, 'i');
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const path = relative(SRC, file).split('\\').join('/');
    if (HOMES.some((home) => path.startsWith(`${home}/`)) || SHOWCASES.includes(path)) continue;
    codeOf(readFileSync(file, 'utf8'))
      .split('\n')
      .forEach((line) => {
        const match = pattern.exec(line);
        if (match) found.push(`src/${path}: ${match[1]} in ${line.trim()}`);
      });
  }
  assert.deepEqual(found, []);
});
