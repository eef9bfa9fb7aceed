/**
 * createFirestore builds the client with its OpenTelemetry spans off unless
 * FIRESTORE_ENABLE_TRACING says otherwise (issue #15: the spans went nowhere and cost CPU on
 * every call). Proven with a tracer provider registered globally that records every span the
 * client starts, through writes to the local stand-in.
 */
import { trace } from '@opentelemetry/api';
import { type FirestoreEmulator, startFirestoreEmulator } from '../../local/firestore';
import { createFirestore } from '../../shared/google';

let emulator: FirestoreEmulator;
const spans: string[] = [];

// The smallest provider the client accepts: every span it starts is recorded by name.
const recordingProvider = {
  getTracer: () => ({
    startSpan: (name: string) => recordingSpan(name),
    startActiveSpan: (name: string, ...rest: unknown[]) => (rest[rest.length - 1] as (span: unknown) => unknown)(recordingSpan(name)),
  }),
};
function recordingSpan(name: string) {
  spans.push(name);
  const span = {
    spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }),
    setAttribute: () => span,
    setAttributes: () => span,
    addEvent: () => span,
    addLink: () => span,
    addLinks: () => span,
    setStatus: () => span,
    updateName: () => span,
    end: () => undefined,
    isRecording: () => true,
    recordException: () => undefined,
  };
  return span;
}

const saved = process.env['FIRESTORE_ENABLE_TRACING'];
beforeAll(async () => {
  emulator = await startFirestoreEmulator();
  process.env['FIRESTORE_EMULATOR_HOST'] = emulator.host;
  expect(trace.setGlobalTracerProvider(recordingProvider as never)).toBe(true);
});
afterAll(async () => {
  trace.disable();
  if (saved === undefined) delete process.env['FIRESTORE_ENABLE_TRACING'];
  else process.env['FIRESTORE_ENABLE_TRACING'] = saved;
  await emulator.stop();
});
beforeEach(() => {
  spans.length = 0;
});

async function spansOfOneWrite(): Promise<string[]> {
  const db = createFirestore('tracing-test', '(default)');
  try {
    await db
      .collection('t')
      .doc(`d${Math.random().toString(36).slice(2)}`)
      .set({ n: 1 });
    return [...spans];
  } finally {
    await db.terminate();
  }
}

test('with FIRESTORE_ENABLE_TRACING unset the client starts no span, and the variable stays unset', async () => {
  delete process.env['FIRESTORE_ENABLE_TRACING'];
  expect(await spansOfOneWrite()).toEqual([]);
  expect(process.env['FIRESTORE_ENABLE_TRACING']).toBeUndefined();
});

test('FIRESTORE_ENABLE_TRACING=ON is honoured: the same write starts the client spans', async () => {
  process.env['FIRESTORE_ENABLE_TRACING'] = 'ON';
  const names = await spansOfOneWrite();
  expect(names.length).toBeGreaterThan(0);
  expect(names.join(' ')).toMatch(/Commit|set/i);
});

test('FIRESTORE_ENABLE_TRACING=OFF set by the operator is kept', async () => {
  process.env['FIRESTORE_ENABLE_TRACING'] = 'OFF';
  expect(await spansOfOneWrite()).toEqual([]);
  expect(process.env['FIRESTORE_ENABLE_TRACING']).toBe('OFF');
});
