/**
 * Dialogflow v2beta1 REST mock for the endpoints the SIPREC provisioning uses
 * (conversation profiles, phone numbers, phone number orders). The Twilio/Agent Assist
 * issue fills in the behaviour; for now it serves conversation profiles.
 */
import { type MockServer, sendJson, startMockServer } from '../http-mock';

export interface DialogflowMockOptions {
  projectId: string;
  port?: number;
}

export async function startDialogflowMock(options: DialogflowMockOptions): Promise<MockServer> {
  const profiles = new Map<string, Record<string, unknown>>();
  return startMockServer(
    'dialogflow',
    [
      {
        method: 'GET',
        path: '/v2beta1/projects/:project/locations/:location/conversationProfiles/:id',
        handle: (req, res) => {
          const name = `projects/${req.params['project']}/locations/${req.params['location']}/conversationProfiles/${req.params['id']}`;
          const profile = profiles.get(name);
          if (!profile) return sendJson(res, 404, { error: { code: 404, message: `${name} not found`, status: 'NOT_FOUND' } });
          return sendJson(res, 200, profile);
        },
      },
    ],
    options.port === undefined ? {} : { port: options.port },
  );
}
