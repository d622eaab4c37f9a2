/**
 * The package as users import it: `import … from 'serial-flash'` resolves through package.json
 * exports, has declarations, loads nothing of the command line and has no side effects; the
 * README's library example runs exactly as written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/temp-dir.js';

const EXAMPLE_MARKER = '<!-- library example: test/index.test.ts runs this block exactly as written -->';

/** A directory whose node_modules/serial-flash is this repository, as after `npm install serial-flash`. */
function consumerProject(): string {
  const dir = tempDir('consumer');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO_ROOT.replace(/\/$/, ''), join(dir, 'node_modules', 'serial-flash'), 'dir');
  return dir;
}

function runNode(args: string[], cwd: string, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

test("the README's library example runs as written against a virtual Photon", async () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(EXAMPLE_MARKER);
  assert.ok(at >= 0, 'README.md marks its library example');
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  assert.ok(block, 'a js code block follows the marker');
  const dir = consumerProject();
  writeFileSync(join(dir, 'example.mjs'), block);
  const run = await runNode(['example.mjs'], dir);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^1024 of 4004 bytes$/m, 'progress events arrive');
  assert.match(run.stdout, /^Flashed 4004 bytes to \/dev\/virtual-photon at 0x080A0000 in \d+\.\d s$/m);
});

test('importing the package has no side effects: no output, no signal handlers, nothing keeping the process alive', async () => {
  const dir = consumerProject();
  writeFileSync(
    join(dir, 'probe.mjs'),
    `const signals = process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');
const lib = await import('serial-flash');
// The module loader's own file closes finish within a tick or two.
await new Promise((resolve) => setTimeout(resolve, 50));
console.log(JSON.stringify({
  exports: Object.keys(lib).sort(),
  signals: process.listenerCount('SIGINT') + process.listenerCount('SIGTERM') - signals,
  resources: process.getActiveResourcesInfo().filter((name) => !['TTYWrap', 'PipeWrap', 'CloseReq'].includes(name)),
}));
`,
  );
  const started = performance.now();
  const run = await runNode(['probe.mjs'], dir, 20_000);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'nothing printed but the probe');
  const probe = JSON.parse(lines[0]!) as { exports: string[]; signals: number; resources: string[] };
  assert.equal(probe.signals, 0);
  assert.deepEqual(probe.resources, []);
  for (const name of ['flash', 'flashMany', 'listDevices', 'listPorts', 'deviceInfo', 'YmodemSender', 'startVirtualPort', 'TransferError', 'CancelledError', 'parseAddress']) {
    assert.ok(probe.exports.includes(name), `exports ${name}`);
  }
  assert.ok(performance.now() - started < 20_000);
});

test('the library never loads the command line (static walk of the compiled imports)', () => {
  const entry = join(REPO_ROOT, 'dist', 'src', 'index.js');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) visit(resolve(dirname(file), match[1]!));
  };
  visit(entry);
  assert.ok(seen.size > 10, `walked ${seen.size} modules`);
  const cli = [...seen].filter((file) => file.includes(`${join('dist', 'src', 'cli')}`));
  assert.deepEqual(cli, []);
});

test('the declarations let a TypeScript program use the API with its types', async () => {
  const dir = consumerProject();
  writeFileSync(
    join(dir, 'use.ts'),
    `import { flash, CancelledError, type FlashEvent, type FlashOutcome } from 'serial-flash';
const onEvent = (event: FlashEvent): void => {
  if (event.type === 'progress') console.log(event.bytes.toFixed(0), event.totalBytes);
};
export async function go(signal: AbortSignal): Promise<number | undefined> {
  try {
    const outcome: FlashOutcome = await flash({ file: 'x.bin', port: 'COM3', signal, onEvent });
    return 'dryRun' in outcome ? undefined : outcome.bytes;
  } catch (error) {
    if (error instanceof CancelledError) return undefined;
    throw error;
  }
}
// @ts-expect-error the file is required
void flash({ port: 'COM3' });
`,
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'], typeRoots: [join(REPO_ROOT, 'node_modules', '@types')] }, files: ['use.ts'] }),
  );
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = await runNode([tsc, '-p', '.'], dir, 120_000);
  assert.equal(run.code, 0, run.stdout + run.stderr);
});

test('from CommonJS: require() fails with a sentence saying how to load the ES module, and await import() works', async () => {
  const dir = consumerProject();
  // As `npm init -y` leaves it: a CommonJS project.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'commonjs' }));
  writeFileSync(join(dir, 'example.js'), "const { flash } = require('serial-flash');\nconsole.log(typeof flash);\n");
  const required = await runNode(['example.js'], dir, 20_000);
  assert.notEqual(required.code, 0);
  assert.doesNotMatch(required.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
  assert.match(required.stderr, /serial-flash is an ES module/);
  assert.match(required.stderr, /await import\('serial-flash'\)/);
  assert.match(required.stderr, /\.mjs|"type": "module"/);

  writeFileSync(join(dir, 'imported.js'), "(async () => {\n  const { parseAddress } = await import('serial-flash');\n  console.log(parseAddress('0x08005000'));\n})();\n");
  const imported = await runNode(['imported.js'], dir, 20_000);
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(imported.stdout.trim(), '134238208');
});
