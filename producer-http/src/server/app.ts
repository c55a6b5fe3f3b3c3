import {
  answering,
  clientClosedResponse,
  connectionClosed,
  HttpError,
  json,
  probes,
  publishFailure,
  type Registry,
  readHopVotes,
  type VotePublisher,
} from "@marimba/shared";
import { Elysia } from "elysia";

export interface ServerDeps {
  publisher: Pick<VotePublisher, "publishEncoded">;
  registry: Registry;
  kafkaReachable: () => Promise<boolean>;
}

/**
 * The internal hop: votes the edge accepted are checked again with the edge's rules (a caller of
 * this port is not trusted to be the edge) and published to Kafka (acks = all), all or none; the
 * Kafka values the edge built travel on as they came (see hop.ts in @marimba/shared).
 */
export function createServerApp({ publisher, registry, kafkaReachable }: ServerDeps) {
  const answer = answering(registry);
  return new Elysia().use(probes(registry, { kafka: kafkaReachable })).post(
    "/data",
    ({ request }) =>
      answer("/data", async () => {
        const parsed = await readHopVotes(request, "http");
        if (!parsed.ok) throw new HttpError(422, "the votes do not match the internal schema", parsed.problems);
        if (await connectionClosed(request)) return clientClosedResponse();
        try {
          await publisher.publishEncoded(parsed.value);
        } catch (error) {
          throw publishFailure(error);
        }
        return json(202, { accepted: parsed.value.length });
      }),
    { parse: "none" },
  );
}
