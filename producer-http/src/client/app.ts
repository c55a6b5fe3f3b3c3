import { createEdgeApp, type EdgeOptions } from "@marimba/shared";

/** The HTTP route's edge: `POST /http/votes` and the old clients' `POST /rust/send_data`. */
export function createClientApp(deps: Omit<EdgeOptions, "route" | "paths">) {
  return createEdgeApp({ route: "http", paths: ["/http/votes", "/rust/send_data"], ...deps });
}
