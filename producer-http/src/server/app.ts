import {
  answering,
  HttpError,
  json,
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

/** The internal hop: votes already accepted by the edge are published to Kafka (acks = all). */
export function createServerApp({ publisher, registry, kafkaReachable }: ServerDeps) {
  const answer = answering(registry);
  return new Elysia().use(probes(registry, { kafka: kafkaReachable })).post(
    "/data",
    ({ request }) =>
      answer("/data", async () => {
        const parsed = parseAcceptedVotes(await readJsonBody(request));
        if (!parsed.ok) throw new HttpError(422, "the votes do not match the internal schema", parsed.problems);
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
