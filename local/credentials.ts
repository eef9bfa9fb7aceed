/**
 * Credentials of the local stack. Fixed, documented values so a person can paste them
 * into curl or a Twilio/Zoom test; each can be overridden by the environment variable
 * of the same setting. They are for the local mocks only and guard nothing real.
 */
import type { Env } from '../shared/config';

export interface LocalCredentials {
  zoomWebhookSecret: string;
  zoomAccountId: string;
  zoomClientId: string;
  zoomClientSecret: string;
  artifactLinkSecret: string;
  twilioAccountSid: string;
  twilioAuthToken: string;
  uiConnectorJwtSecret: string;
  crmBasicUser: string;
  crmBasicPassword: string;
  crmApiKey: string;
  crmOauthClientId: string;
  crmOauthClientSecret: string;
  crmAdminToken: string;
  ccaipCompanySecret: string;
}

export function localCredentials(env: Env = process.env): LocalCredentials {
  const pick = (key: string, fallback: string) => env[key] ?? fallback;
  return {
    zoomWebhookSecret: pick('ZOOM_WEBHOOK_SECRET', 'local-zoom-webhook-secret-token'),
    zoomAccountId: pick('ZOOM_ACCOUNT_ID', 'local-zoom-account'),
    zoomClientId: pick('ZOOM_CLIENT_ID', 'local-zoom-client-id'),
    zoomClientSecret: pick('ZOOM_CLIENT_SECRET', 'local-zoom-client-secret'),
    artifactLinkSecret: pick('ARTIFACT_LINK_SECRET', 'local-artifact-link-secret-0123456789'),
    twilioAccountSid: pick('TWILIO_ACCOUNT_SID', 'AC0123456789abcdef0123456789abcdef'),
    twilioAuthToken: pick('TWILIO_AUTH_TOKEN', 'f00dfeedf00dfeedf00dfeedf00dfeed'),
    uiConnectorJwtSecret: pick('UI_CONNECTOR_JWT_SECRET', 'local-ui-connector-jwt-signing-key-0123456789abcdef'),
    crmBasicUser: pick('CRM_BASIC_USER', 'ccaip'),
    crmBasicPassword: pick('CRM_BASIC_PASSWORD', 'local-crm-password'),
    crmApiKey: pick('CRM_API_KEY', 'local-crm-api-key-0123456789'),
    crmOauthClientId: pick('CRM_OAUTH_CLIENT_ID', 'ccaip-client'),
    crmOauthClientSecret: pick('CRM_OAUTH_CLIENT_SECRET', 'local-crm-oauth-client-secret'),
    crmAdminToken: pick('CRM_ADMIN_TOKEN', 'local-crm-admin-token'),
    ccaipCompanySecret: pick('CCAIP_COMPANY_SECRET', 'local-ccaip-company-secret-0123456789'),
  };
}
