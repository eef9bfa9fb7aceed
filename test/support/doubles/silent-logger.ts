import { createLogger, type Logger } from '../../../shared/logging';

/** A logger that drops everything; for tests that do not look at logs. */
export const silentLogger: Logger = createLogger({ sink: () => undefined });
