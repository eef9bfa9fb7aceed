import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Broker } from './broker';
import { unary } from './grpc-handlers';
import type {
  DeleteTopicRequest,
  GetTopicRequest,
  ListTopicSubscriptionsRequest,
  ListTopicsRequest,
  PublishRequest,
  UpdateTopicRequest,
  WireTopic,
} from './wire';

/** google.pubsub.v1.Publisher; methods left out (snapshots, detach) answer UNIMPLEMENTED. */
export function createPublisherService(broker: Broker, log: (line: string) => void): UntypedServiceImplementation {
  return {
    CreateTopic: unary(log, (topic: WireTopic) => broker.createTopic(topic)),
    GetTopic: unary(log, (request: GetTopicRequest) => broker.getTopic(request.topic)),
    UpdateTopic: unary(log, (request: UpdateTopicRequest) => broker.updateTopic(request.topic, request.updateMask)),
    ListTopics: unary(log, (request: ListTopicsRequest) => broker.listTopics(request.project, request.pageSize, request.pageToken)),
    ListTopicSubscriptions: unary(log, (request: ListTopicSubscriptionsRequest) =>
      broker.listTopicSubscriptions(request.topic, request.pageSize, request.pageToken),
    ),
    DeleteTopic: unary(log, (request: DeleteTopicRequest) => {
      broker.deleteTopic(request.topic);
      return {};
    }),
    Publish: unary(log, (request: PublishRequest) => ({ messageIds: broker.publish(request.topic, request.messages) })),
  };
}
