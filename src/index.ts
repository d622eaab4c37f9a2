/**
 * The library: `import { flash } from 'serial-flash'`. Everything the command line does is
 * here, without printing: progress comes as events, cancellation through an AbortSignal,
 * failures as typed errors. Importing has no side effects (the serial binding loads when a
 * port is first used) and never loads the command line.
 */

// Flashing
export { flash, DEFAULT_BAUD_RATE, type FlashOptions, type FlashOutcome } from './flash/flash.js';
export { flashMany, type FlashManyOptions, type FlashManyResult, type DeviceOutcome } from './flash/flash-many.js';
export type { FlashEvent, FlashPlan, FlashResult } from './flash/events.js';
export { deviceInfo, type InfoOptions, type DeviceInfo } from './flash/info.js';

// Finding ports and devices
export { listDevices, findOnlyDevice, findAllDevices, type DiscoveredPort } from './flash/discover.js';
export { listPorts, type SerialPortInfo, type ListPortsOptions } from './transport/ports.js';
export { targetNames, profiles, registerProfile, type RecognisedDevice } from './devices/registry.js';
export type { DeviceProfile } from './devices/profile.js';

// The protocol, for a stream of your own
export { openConnection, waitForPort, type OpenConnectionOptions } from './transport/open.js';
export type { Connection, UsbIdentity } from './transport/connection.js';
export {
  FileSender,
  YmodemSender,
  DEFAULT_RETRIES,
  DEFAULT_TIMING,
  type BlockSource,
  type ReceiverDialect,
  type RetryReason,
  type SenderEvent,
  type SenderOptions,
  type SenderPhase,
  type SenderTiming,
  type SendResult,
} from './protocol/file-sender.js';
export { PROTOCOL_NAMES, type ProtocolName } from './protocol/protocols.js';
export { type BlockSize, type Checksum, crc16 } from './protocol/blocks.js';

// Addresses
export { parseAddress, formatAddress } from './image/address.js';

// Errors: every failure is one of these, with a `code` and a one-sentence message
export {
  SerialFlashError,
  InputError,
  PortError,
  TransferError,
  DisconnectedError,
  CancelledError,
  ERROR_CATALOGUE,
  type ErrorCode,
  type ErrorContext,
  type InputCode,
  type PortCode,
  type TransferCode,
} from './errors.js';

// Virtual devices, for your own tests and demos
export {
  startVirtualPort,
  createVirtualDevice,
  VirtualBinding,
  PROFILE_NAMES,
  type StartVirtualPortOptions,
  type VirtualPortHandle,
  type VirtualDeviceOptions,
  type ProfileName,
} from './emulator/index.js';
