import {
  errorResponse,
  HttpError,
  httpMetrics,
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
  const metrics = httpMetrics(registry);
  return new Elysia().use(probes(registry, { kafka: kafkaReachable })).post(
    "/data",
    async ({ request }) => {
      const startedAt = performance.now();
      let response: Response;
      try {
        const parsed = parseAcceptedVotes(await readJsonBody(request));
        if (!parsed.ok) throw new HttpError(422, "the votes do not match the internal schema", parsed.problems);
        try {
          await publisher.publish(parsed.value);
        } catch (error) {
          throw publishFailure(error);
        }
        response = json(202, { accepted: parsed.value.length });
      } catch (error) {
        response = errorResponse(error);
      }
      metrics.observe("/data", response.status, startedAt);
      return response;
    },
    { parse: "none" },
  );
}
