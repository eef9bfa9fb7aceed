/** Settings of the operator function (documented in README.md): the trace's settings, nothing else. */
import * as z from 'zod';
import { baseConfigShape } from '../../shared/config';
import { traceConfigShape } from '../../shared/trace/config';

export const operatorConfigShape = { ...baseConfigShape, ...traceConfigShape };
export type OperatorConfig = z.output<z.ZodObject<typeof operatorConfigShape>>;
export const operatorConfigSchema = z.object(operatorConfigShape);
