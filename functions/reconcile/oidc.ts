/** The Google OIDC verifier lives in shared/auth/oidc.ts: call-log verifies its Pub/Sub push and Scheduler calls with the same one. */
export * from '../../shared/auth/oidc';
