/** The Twilio request gate lives in shared/twilio/request-gate.ts: call-log verifies Twilio's status callbacks with the same one. */
export * from '../../shared/twilio/request-gate';
