import { createEdgeApp, type EdgeOptions } from "@marimba/shared";

/** The gRPC route's edge: `POST /grpc/votes` and the old clients' `POST /grpc/insert`, forwarded over gRPC. */
export function createClientApp(deps: Omit<EdgeOptions, "route" | "paths">) {
  return createEdgeApp({ route: "grpc", paths: ["/grpc/votes", "/grpc/insert"], ...deps });
}
