import type { DemoRoute } from "./demo.ts";
import { urls } from "./services.ts";

/** The old clients' path of every route the stack runs. */
export function demoRoutes(): DemoRoute[] {
  return [
    { route: "http", url: `${urls.http}/rust/send_data` },
    { route: "grpc", url: `${urls.grpc}/grpc/insert` },
  ];
}
