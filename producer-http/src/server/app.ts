import {
  answering,
  clientClosedResponse,
  connectionClosed,
  HttpError,
  json,
  MAX_HOP_BODY_BYTES,
  parseAcceptedVotes,
  probes,
  publishFailure,
  type Registry,
  readJsonBody,
  type VotePublisher,
} from "@marimba/shared";
import { Elysia } from "elysia";

export interface ServerDeps {
  publisher: Pick<VotePublisher, "publish">;
  registry: Registry;
  kafkaReachable: () => Promise<boolean>;
}

/**
 * The internal hop: votes the edge accepted are checked again with the edge's rules (a caller of
 * this port is not trusted to be the edge) and published to Kafka (acks = all), all or none.
 */
export function createServerApp({ publisher, registry, kafkaReachable }: ServerDeps) {
  const answer = answering(registry);
  return new Elysia().use(probes(registry, { kafka: kafkaReachable })).post(
    "/data",
    ({ request }) =>
      answer("/data", async () => {
        const parsed = parseAcceptedVotes(await readJsonBody(request, MAX_HOP_BODY_BYTES), "http");
        if (!parsed.ok) throw new HttpError(422, "the votes do not match the internal schema", parsed.problems);
        if (await connectionClosed(request)) return clientClosedResponse();
        try {
          await publisher.publish(parsed.value);
        } catch (error) {
          throw publishFailure(error);
        }
        return json(202, { accepted: parsed.value.length });
      }),
    { parse: "none" },
  );
}
