/** Which protocol is used: the user's --protocol, refused before the port is opened when the target cannot take it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startVirtualPort } from '../../src/emulator/index.js';
import { InputError } from '../../src/errors.js';
import { flash } from '../../src/flash/flash.js';
import { fixture } from '../helpers/cli.js';

test('a Particle device takes YMODEM only: --protocol xmodem is refused before the port is touched', async () => {
  const port = startVirtualPort('photon');
  try {
    const failure = await flash({ file: fixture('photon-user-part.bin'), port: port.path, target: 'particle', protocol: 'xmodem', binding: port.binding }).catch((e: unknown) => e);
    assert.ok(failure instanceof InputError, String(failure));
    assert.equal(failure.code, 'PROTOCOL_UNSUPPORTED');
    assert.match(failure.message, /takes YMODEM only, not XMODEM/);
    assert.equal(port.device.summary().transfers.length, 0);
  } finally {
    port.close();
  }
});

test('an unknown --protocol is refused with the list of protocols', async () => {
  const failure = await flash({ file: fixture('photon-user-part.bin'), port: '/dev/null', protocol: 'zmodem' as never, dryRun: true }).catch((e: unknown) => e);
  assert.ok(failure instanceof InputError);
  assert.equal(failure.message, '--protocol must be one of ymodem, xmodem, xmodem-1k, not zmodem.');
});

test('the plan names the protocol and its block size: XMODEM 128, XMODEM-1K and YMODEM 1024', async () => {
  for (const [protocol, blockSize] of [['xmodem', 128], ['xmodem-1k', 1024], ['ymodem', 1024]] as const) {
    const port = startVirtualPort('ymodem');
    try {
      const outcome = await flash({ file: fixture('photon-user-part.bin'), port: port.path, target: 'ymodem', protocol, dryRun: true, binding: port.binding });
      assert.ok('plan' in outcome);
      assert.equal(outcome.plan.protocol, protocol);
      assert.equal(outcome.plan.blockSize, blockSize);
    } finally {
      port.close();
    }
  }
});
