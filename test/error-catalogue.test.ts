/** The README's error-code table is the catalogue in src/errors.ts: every code, its exit code and meaning. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exitCodeFor } from '../src/cli/exit-codes.js';
import {
  CancelledError,
  DisconnectedError,
  ERROR_CATALOGUE,
  type ErrorClassName,
  InputError,
  PortError,
  refusalCode,
  type SerialFlashError,
  TransferError,
} from '../src/errors.js';

// dist/test/ → repository root
const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

const EXAMPLE: { [C in ErrorClassName]: (code: never) => SerialFlashError } = {
  InputError: (code) => new InputError(code, ''),
  PortError: (code) => new PortError(code, ''),
  TransferError: (code) => new TransferError(code, ''),
  DisconnectedError: () => new DisconnectedError(''),
  CancelledError: () => new CancelledError(''),
};

function readmeTable(): Map<string, { exit: number; errorClass: string; meaning: string }> {
  const section = readme.split(/^## Error codes$/m)[1]?.split(/^## /m)[0];
  assert.ok(section, 'the README has an "## Error codes" section');
  const rows = new Map<string, { exit: number; errorClass: string; meaning: string }>();
  for (const line of section.split('\n')) {
    const cells = line.match(/^\| `([A-Z0-9_]+)` \| (\d+) \| (\w+) \| (.*) \|$/);
    if (!cells) continue;
    assert.ok(!rows.has(cells[1]!), `${cells[1]} is listed once`);
    rows.set(cells[1]!, { exit: Number(cells[2]), errorClass: cells[3]!, meaning: cells[4]! });
  }
  return rows;
}

test('the README lists every error code with its class, exit code and meaning, and no other', () => {
  const rows = readmeTable();
  const catalogued: string[] = [];
  for (const [errorClass, codes] of Object.entries(ERROR_CATALOGUE) as [ErrorClassName, Record<string, string>][]) {
    for (const [code, meaning] of Object.entries(codes)) {
      catalogued.push(code);
      const row = rows.get(code);
      assert.ok(row, `README lists ${code}`);
      assert.equal(row.errorClass, errorClass, `${code}'s class`);
      assert.equal(row.exit, exitCodeFor(EXAMPLE[errorClass](code as never)), `${code}'s exit code`);
      assert.equal(row.meaning, meaning.replaceAll('|', '\\|'), `${code}'s meaning`);
    }
  }
  assert.deepEqual([...rows.keys()].sort(), catalogued.sort(), 'the README lists only catalogued codes');
});

test('a code belongs to one class only, and every image-check field has its IMAGE_REFUSED_ code', () => {
  const seen = new Map<string, string>();
  for (const [errorClass, codes] of Object.entries(ERROR_CATALOGUE)) {
    for (const code of Object.keys(codes)) {
      assert.equal(seen.get(code), undefined, `${code} is in ${seen.get(code)} and ${errorClass}`);
      seen.set(code, errorClass);
    }
  }
  assert.equal(refusalCode('file-size'), 'IMAGE_REFUSED_FILE_SIZE');
  assert.ok('IMAGE_REFUSED_EXCEPTION_HANDLER' in ERROR_CATALOGUE.InputError);
});

test('an error that rewrites another keeps what that one knew of the receiver', () => {
  const first = new TransferError('TOO_MANY_RETRIES', 'x', {}, { receiver: { answered: true } });
  first.receiver.toldToAbort = true;
  const rewritten = new TransferError('VALIDATION_FAILED', 'y', first.context, { cause: first });
  assert.deepEqual(rewritten.receiver, { answered: true, toldToAbort: true });
  assert.deepEqual(new TransferError('NO_ANSWER', 'z').receiver, {});
});
