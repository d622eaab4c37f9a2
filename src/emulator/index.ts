/**
 * The virtual devices' entry points: `createVirtualDevice` for any transport (in-process
 * binding, TCP, pty), and `startVirtualPort`, which puts one behind an in-process serialport
 * binding and keeps the port in step with the device (gone at a reset, back at boot).
 */
import { VirtualBinding } from './virtual-binding.js';
import { createProfile, type VirtualDeviceInstance, type VirtualDeviceOptions } from './profiles.js';

export { createProfile, isProfileName, PROFILE_NAMES, PROFILES, type ProfileName, type VirtualDeviceOptions, type VirtualDeviceInstance } from './profiles.js';
export { VirtualBinding, type VirtualWire, type DeviceEnd, type VirtualPortOptions } from './virtual-binding.js';
export type { DeviceSummary, TransferRecord, DeviceEventMap, ResetReason } from './virtual-device.js';
export type { FaultOptions, FaultStats } from './faults.js';
export { VirtualDevice } from './virtual-device.js';
export { ParticleDevice, type ParticleFirmware } from './particle-device.js';
export { SparkCoreDevice } from './spark-core-device.js';
export { UBootDevice } from './uboot-device.js';
export { YmodemDevice, type ReceivedFile } from './ymodem-device.js';
export { FlashMemory, type MemoryRange } from './flash-memory.js';

export function createVirtualDevice(profile: string, options: VirtualDeviceOptions = {}): VirtualDeviceInstance {
  return createProfile(profile, options);
}

export interface VirtualPortHandle extends VirtualDeviceInstance {
  binding: VirtualBinding;
  path: string;
  /** Stops the device's timers and removes the port. */
  close(): void;
}

export interface StartVirtualPortOptions extends VirtualDeviceOptions {
  /** Default `/dev/virtual-<profile>`. */
  path?: string;
  /** Add the port to an existing binding (several devices on one binding). */
  binding?: VirtualBinding;
}

export function startVirtualPort(profile: string, options: StartVirtualPortOptions = {}): VirtualPortHandle {
  const instance = createProfile(profile, options);
  const binding = options.binding ?? new VirtualBinding();
  const path = options.path ?? `/dev/virtual-${profile}`;
  const { device, wire, portOptions } = instance;
  binding.add(path, wire, portOptions);
  device.on('reset', (info) => {
    if (info.portVanishes) binding.remove(path);
  });
  device.on('boot', () => {
    if (!binding.has(path)) binding.add(path, wire, portOptions);
  });
  return {
    ...instance,
    binding,
    path,
    close: () => {
      device.dispose();
      binding.remove(path);
    },
  };
}
