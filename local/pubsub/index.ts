export { DrainTimeoutError } from './errors';
export {
  type MintOidcToken,
  type PubSubEmulator,
  type PubSubEmulatorOptions,
  type SubscriptionStats,
  startPubSubEmulator,
} from './emulator';
