/**
 * `--verify`: after a successful update the device restarts and its port goes away. Wait for
 * the port to come back, open it again, and let the profile ask the device whether the new
 * image is installed and valid. Opening too early (the device still restarting, a port that
 * appears before the device answers) is retried until the deadline; only the device's own
 * "it is not installed" is final.
 */
import type { DeviceProfile } from '../devices/profile.js';
import { CancelledError, InputError, TransferError } from '../errors.js';
import type { FirmwareFile } from '../image/firmware-file.js';
import { waitForPort } from '../transport/open.js';
import { reasonOf } from '../util/reason.js';
import { withinMs } from '../util/within.js';
import type { FlashEvent } from './events.js';
import { type SessionOptions, withDeviceSession } from './session.js';

/** A Photon restarts and enumerates in about 5 s; a system part update can take much longer. */
export const VERIFY_TIMEOUT_MS = 60_000;
/** Between attempts: well under the time a USB device takes to enumerate. */
const RETRY_INTERVAL_MS = 250;
/** An attempt under way at the deadline may finish its questions. */
const ATTEMPT_GRACE_MS = 5_000;

export async function verifyAfterRestart(
  profile: DeviceProfile,
  image: FirmwareFile,
  options: SessionOptions,
): Promise<{ installed: string; seconds: number }> {
  const started = performance.now();
  const timeScale = options.timeScale ?? 1;
  const deadline = started + VERIFY_TIMEOUT_MS * timeScale;
  options.emit({ type: 'step', message: 'waiting for the device to restart, to ask it what it now runs (--verify)' });
  // Each attempt takes the same steps: say each once, not once per attempt while the device restarts.
  const said = new Set<string>();
  const emitOnce = (event: FlashEvent): void => {
    if (event.type === 'step') {
      if (said.has(event.message)) return;
      said.add(event.message);
    }
    options.emit(event);
  };
  const session: SessionOptions = { ...options, emit: emitOnce };
  let lastProblem = 'its port did not come back';
  while (performance.now() < deadline) {
    try {
      await waitForPort(session.port, { timeoutMs: Math.max(1, deadline - performance.now()), signal: session.signal, binding: session.binding });
      // Every wait inside has its own timeout; this bound keeps a port that never answers an
      // open or a close from holding the result back past the deadline.
      const attempt = withDeviceSession(session, (opened) => profile.verifyInstalled!(opened, image));
      attempt.catch(() => undefined);
      const installed = await withinMs(attempt, Math.max(0, deadline - performance.now()) + ATTEMPT_GRACE_MS);
      if (installed === undefined) {
        lastProblem = 'the port stopped answering';
        break;
      }
      return { installed, seconds: (performance.now() - started) / 1000 };
    } catch (error) {
      if (error instanceof CancelledError || error instanceof InputError) throw error;
      if (error instanceof TransferError && error.code === 'VERIFY_FAILED') throw error;
      lastProblem = reasonOf(error);
    }
    if (session.signal?.aborted) throw new CancelledError('Verifying was cancelled; the device had acknowledged the image.');
    await new Promise((resolve) => setTimeout(resolve, RETRY_INTERVAL_MS));
  }
  const seconds = Math.round((VERIFY_TIMEOUT_MS * timeScale) / 1000);
  throw new TransferError(
    'DEVICE_NOT_BACK',
    `The device took the image but could not be asked about it within ${seconds} s of its restart (${lastProblem.replace(/\.$/, '')}); check which firmware it runs, e.g. with serial-flash info.`,
    { phase: 'verify' },
  );
}
