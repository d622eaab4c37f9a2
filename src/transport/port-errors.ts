/**
 * Why a port would not open, in one sentence that says what to do. Kept apart from the
 * serial adapter because the knowledge here is about operating systems, not about streams.
 */
import { promises as fsp, constants as fsConstants } from 'node:fs';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { PortError } from '../errors.js';
import { reasonOf } from '../util/reason.js';
import { withinMs } from '../util/within.js';
import { listPorts } from './ports.js';

type OpenFailure = 'busy' | 'permission' | 'not-serial' | 'missing' | 'no-device';

/** Listing candidate ports for an error message must not make a failing open slow. */
const PORT_HINT_TIMEOUT_MS = 1500;
const MAX_PORTS_IN_HINT = 8;

// Matched against the binding's message (strerror text on Unix, Windows API text), with the
// path removed so a port named e.g. /dev/busy cannot mislead.
const OPEN_FAILURE_PATTERNS: ReadonlyArray<[OpenFailure, RegExp]> = [
  ['busy', /cannot lock port|resource temporarily unavailable|resource busy|port is locked|\b(EBUSY|EAGAIN|EWOULDBLOCK)\b/i],
  ['permission', /permission denied|operation not permitted|\b(EACCES|EPERM)\b/i],
  ['not-serial', /inappropriate ioctl|not a typewriter|is a directory|not a directory|\b(ENOTTY|EISDIR|ENOTDIR)\b/i],
  ['missing', /no such file or directory|does not exist|file not found|cannot find the file|\bENOENT\b/i],
  ['no-device', /no such device|input\/output error|\b(ENXIO|ENODEV|EIO)\b/i],
];

/**
 * Turns a failed open into a PortError saying what to do. The binding's errors carry only a
 * message, so it is classified by its text and, when the text is unfamiliar (another language,
 * another binding), by looking at the path itself.
 */
export async function translateOpenError(path: string, error: unknown, binding?: BindingInterface): Promise<PortError> {
  if (error instanceof PortError) return error;
  const reason = reasonOf(error);
  const failure = classifyMessage(reason.split(path).join(' ')) ?? (await classifyPath(path));
  // "No such device or address, cannot open /dev/x" → "no such device or address"
  const shortReason = reason.replace(/,?\s*cannot open\b.*$/i, '').toLowerCase();
  const context = { phase: 'open', path, systemMessage: reason };
  const options = { cause: error };
  switch (failure) {
    case 'busy':
      return new PortError(
        'PORT_BUSY',
        `${path} is in use by another program (a terminal such as screen or minicom, a serial monitor, or ModemManager); close it and try again.`,
        context,
        options,
      );
    case 'permission':
      return new PortError('PORT_PERMISSION_DENIED', await permissionAdvice(path), context, options);
    case 'not-serial':
      return new PortError(
        'NOT_A_SERIAL_DEVICE',
        `${path} is not a serial port (${await describeFile(path)}); ${await portsHint(binding)}`,
        context,
        options,
      );
    case 'missing':
      return new PortError('PORT_NOT_FOUND', `${path} does not exist; ${await portsHint(binding)}`, context, options);
    case 'no-device':
      return new PortError(
        'PORT_NOT_FOUND',
        `${path} has no device behind it (${shortReason}); ${await portsHint(binding)}`,
        context,
        options,
      );
    default:
      return new PortError(
        'PORT_OPEN_FAILED',
        `${path} could not be opened (${reason}); check the port name and that no other program is using it.`,
        context,
        options,
      );
  }
}

function classifyMessage(message: string): OpenFailure | undefined {
  // Windows reports a port held by another program as "Access denied".
  if (process.platform === 'win32' && /access (is )?denied/i.test(message)) return 'busy';
  return OPEN_FAILURE_PATTERNS.find(([, pattern]) => pattern.test(message))?.[0];
}

async function classifyPath(path: string): Promise<OpenFailure | undefined> {
  if (process.platform === 'win32') return undefined;
  try {
    if (!(await fsp.stat(path)).isCharacterDevice()) return 'not-serial';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : undefined;
  }
  try {
    await fsp.access(path, fsConstants.R_OK | fsConstants.W_OK);
  } catch {
    return 'permission';
  }
  return undefined;
}

async function describeFile(path: string): Promise<string> {
  const stats = await fsp.stat(path).catch(() => undefined);
  if (stats?.isFile()) return 'it is a regular file';
  if (stats?.isDirectory()) return 'it is a directory';
  return 'it does not accept serial line settings';
}

async function permissionAdvice(path: string): Promise<string> {
  const stats = await fsp.stat(path).catch(() => undefined);
  const groupCanUse = stats !== undefined && (stats.mode & 0o060) === 0o060 && stats.gid !== 0;
  const group = groupCanUse ? await groupName(stats.gid) : undefined;
  if (group) {
    return `You may not open ${path} (permission denied); add yourself to its group with \`sudo usermod -aG ${group} $USER\`, then log out and back in.`;
  }
  return (
    `You may not open ${path} (permission denied); serial ports normally belong to group dialout ` +
    `(Debian, Ubuntu, Fedora) or uucp (Arch), so run \`sudo usermod -aG dialout $USER\` (or uucp), ` +
    `log out and back in, and check the port's permissions with \`ls -l ${path}\`.`
  );
}

async function groupName(gid: number): Promise<string | undefined> {
  try {
    const lines = (await fsp.readFile('/etc/group', 'utf8')).split('\n');
    return lines.map((line) => line.split(':')).find((fields) => fields[2] === String(gid))?.[0];
  } catch {
    return undefined;
  }
}

async function portsHint(binding: BindingInterface | undefined): Promise<string> {
  const ports = await withinMs(
    listPorts({ binding }).catch(() => undefined),
    PORT_HINT_TIMEOUT_MS,
  );
  // Each hint ends its sentence, so the messages built around it need no full stop.
  if (ports === undefined) return 'the serial ports could not be listed, so check the name.';
  if (ports.length === 0) return 'no serial ports were found — is the device plugged in?';
  const names = ports.slice(0, MAX_PORTS_IN_HINT).map((port) => port.path);
  const more = ports.length > MAX_PORTS_IN_HINT ? `, and ${ports.length - MAX_PORTS_IN_HINT} more` : '';
  return `ports found: ${names.join(', ')}${more}.`;
}
