/**
 * Run by the time-to-first-block benchmark as its own process: loads what the CLI loads for a
 * flash, flashes the port it is given, and prints absolute timestamps (ms since the epoch, so
 * the parent can compare them with the moment it spawned this process) at each step, then
 * exits as soon as the header is acknowledged.
 *
 *   node dist/test/bench/first-block-child.js PORT FILE
 */
const now = () => performance.timeOrigin + performance.now();

async function run(port: string, file: string): Promise<void> {
  const marks: Record<string, number> = { script: now() };
  const [, { flash }] = await Promise.all([import('../../src/cli/main.js'), import('../../src/flash/flash.js')]);
  marks.loaded = now();
  await flash({
    file,
    port,
    onEvent: (event) => {
      if (event.type === 'open') marks.open = now();
      else if (event.type === 'start') marks.listening = now();
      else if (event.type === 'phase' && event.phase === 'data') {
        marks.headerAcked = now();
        process.stdout.write(`${JSON.stringify(marks)}\n`, () => process.exit(0));
      }
    },
  });
}

// Loaded by `node --test dist/test/` too, which gives it no arguments: then it does nothing.
const [port, file] = process.argv.slice(2);
if (port && file && !process.env.NODE_TEST_CONTEXT) {
  run(port, file).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
