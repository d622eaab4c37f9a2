/**
 * What a virtual device ended up with, for front ends: the last transfer's record plus the
 * received bytes read back from where the device stored them (OTA area, external flash, RAM,
 * the receiver's file list), checked against the SHA-256 the device recorded.
 */
import { ParticleDevice } from './particle-device.js';
import { SparkCoreDevice } from './spark-core-device.js';
import { UBootDevice } from './uboot-device.js';
import { sha256, type TransferRecord, type VirtualDevice } from './virtual-device.js';
import { YmodemDevice } from './ymodem-device.js';

export interface EmulationSummary extends Partial<Omit<TransferRecord, 'status'>> {
  /** `none`: nothing was received. */
  status: TransferRecord['status'] | 'none';
  profile: string;
  /** Every transfer the device saw, this one included. */
  transfers: number;
  resets: number;
}

export function summarizeDevice(device: VirtualDevice): EmulationSummary {
  const summary = device.summary();
  const last = summary.transfers.at(-1);
  return { ...(last ?? { status: 'none' }), profile: summary.profile, transfers: summary.transfers.length, resets: summary.resets };
}

/**
 * The bytes of the last transfer as the device holds them, when it was accepted; undefined
 * otherwise. Throws if the memory no longer matches the recorded SHA-256 (a bug, not a user error).
 */
export function receivedImage(device: VirtualDevice): Buffer | undefined {
  const record = device.lastTransfer;
  if (record?.status !== 'accepted' || record.size === undefined) return undefined;
  const data = readBack(device, record);
  if (data === undefined) return undefined;
  if (record.sha256 !== undefined && sha256(data) !== record.sha256) {
    throw new Error(`the ${device.profile} device's memory no longer holds the image it recorded`);
  }
  return data;
}

function readBack(device: VirtualDevice, record: TransferRecord): Buffer | undefined {
  const { address, size = 0 } = record;
  if (device instanceof YmodemDevice) return device.files.at(-1)?.data;
  if (address === undefined) return undefined;
  if (device instanceof ParticleDevice) return device.flash.read(address, size);
  if (device instanceof SparkCoreDevice) return device.externalFlash.read(address, size);
  if (device instanceof UBootDevice) return device.memory.read(address, size);
  return undefined;
}
