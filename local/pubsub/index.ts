export {
  type MintOidcToken,
  type PubSubEmulator,
  type PubSubEmulatorOptions,
  type SubscriptionStats,
  startPubSubEmulator,
} from './emulator';
export { DrainTimeoutError } from './errors';
