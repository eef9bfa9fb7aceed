/**
 * Types for running a Twilio Function's source as Twilio's runtime does (context, event,
 * callback). Kept here, not beside the Function: everything in twilio/functions/ is deployed.
 */
export interface TwilioFunctionContext {
  AUTH_TOKEN?: string;
  ACCOUNT_SID?: string;
  UI_CONNECTOR_URL?: string;
  UI_CONNECTOR_BUDGET_MS?: string;
}
export type TwilioCallback = (error: Error | null, response?: unknown) => void;
export interface TwilioFunctionModule {
  handler(context: TwilioFunctionContext, event: Record<string, unknown>, callback: TwilioCallback): Promise<void>;
}
