import { invalidArgument } from './errors';

export interface ResourceName {
  readonly project: string;
  readonly id: string;
  readonly name: string;
}

/** Where Pub/Sub points a subscription whose topic was deleted. */
export const DELETED_TOPIC = '_deleted-topic_';

// Pub/Sub's rule for topic and subscription IDs: 3–255 characters, starting with a letter,
// from letters, digits and - _ . ~ + %, and not starting with "goog".
const RESOURCE_ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
const PROJECT_NAME = /^projects\/([^/]+)$/;

function parseName(kind: 'topics' | 'subscriptions', name: string): ResourceName {
  const parts = name.split('/');
  const [projects, project, collection, id] = parts;
  const valid =
    parts.length === 4 &&
    projects === 'projects' &&
    project !== undefined &&
    project !== '' &&
    collection === kind &&
    id !== undefined &&
    RESOURCE_ID.test(id) &&
    !id.startsWith('goog');
  if (!valid || project === undefined || id === undefined) {
    throw invalidArgument(`Invalid [${kind}] name: (name=${name})`);
  }
  return { project, id, name };
}

export function parseTopicName(name: string): ResourceName {
  return parseName('topics', name);
}

export function parseSubscriptionName(name: string): ResourceName {
  return parseName('subscriptions', name);
}

export function parseProjectName(name: string): string {
  const match = PROJECT_NAME.exec(name);
  if (match?.[1] === undefined) throw invalidArgument(`Invalid [projects] name: (name=${name})`);
  return match[1];
}
