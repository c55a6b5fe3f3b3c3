import { createEdgeApp, type Registry, type VoteForwarder } from "@marimba/shared";

/** The HTTP route's edge: `POST /http/votes` and the old clients' `POST /rust/send_data`. */
export function createClientApp(deps: { upstream: VoteForwarder; registry: Registry }) {
  return createEdgeApp({ route: "http", paths: ["/http/votes", "/rust/send_data"], ...deps });
}
