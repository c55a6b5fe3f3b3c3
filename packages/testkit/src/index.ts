/**
 * What tests share. In-process tests use the fakes that stand behind the apps' own interfaces;
 * stack tests use the running stack's addresses, clients of its real Kafka, MongoDB and Redis,
 * the bad-input corpus, the fault harness and a Kafka network they can cut.
 */

export { sleep, waitFor, waitUntil } from "@marimba/shared";
export {
  kafkaComponent,
  mongoComponent,
  ports,
  readTallies,
  redisComponent,
  runningPid,
  sampleVotes,
  stackEnv,
  startComponent,
  stopComponent,
  type Tallies,
  urls,
} from "@marimba/stack";
export { asHopBody, asVoteMessage, BAD_INPUTS, type BadInput, badInputRequest, sendBadInput } from "./bad-inputs.ts";
export { describeEdgeContract } from "./edge-contract.ts";
export { acceptedVote, RecordingForwarder, RecordingPublisher, read, request } from "./fakes.ts";
export {
  type AcceptedVote,
  BusyLoops,
  consumerReadiness,
  countersDrift,
  type DriverReport,
  flushRedis,
  freeze,
  LoadDriver,
  type LoadRoute,
  loadRoutes,
  settle,
  sumDeltas,
  thaw,
  type Verdict,
  verify,
} from "./faults.ts";
export { countedRoutes, storedVotes, type TopicOffsets, topicEndOffset, topicOffsets, votesInKafkaSince } from "./lookups.ts";
export { CuttableNetwork, DelayingProxy, KAFKA_API } from "./network.ts";
export { type Answer, kafkaClient, ownPipeline, post, silentLogger, uniqueVote, votesCollection } from "./stack.ts";
