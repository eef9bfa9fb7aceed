/** Types for the tests that run the Twilio Function source as Twilio would. */
export interface TwilioFunctionContext {
  AUTH_TOKEN?: string;
  ACCOUNT_SID?: string;
  UI_CONNECTOR_URL?: string;
  UI_CONNECTOR_BUDGET_MS?: string;
}
export type TwilioCallback = (error: Error | null, response?: unknown) => void;
export declare function handler(context: TwilioFunctionContext, event: Record<string, unknown>, callback: TwilioCallback): Promise<void>;
