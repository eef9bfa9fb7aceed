// Public surface of the local Cloud Storage emulator (see emulator.ts for usage).
export type { Fault } from './faults';
export {
  type StorageEmulator,
  type StorageEmulatorOptions,
  type StoredObjectSummary,
  startStorageEmulator,
} from './emulator';
