// What each of our containers must be given, read from the service's own code: the `loadConfig({…})`
// schema in the entry file its args name (parsed with the TypeScript compiler, not copied here), the
// shared schemas it spreads in, and the GET routes its code serves (for probe paths).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import * as shared from "@marimba/shared";
import ts from "typescript";
import { repoRoot } from "./manifests.ts";

export interface ConfigVariable {
  name: string;
  /** `env.port(N)`: the service listens on the value, N when unset. */
  defaultPort?: number;
  /** The local-stack default, when it is a loopback address: a pod must set the variable. */
  loopbackDefault?: unknown;
}

export interface ServiceConfig {
  entry: string;
  variables: Map<string, ConfigVariable>;
  /** Paths the service's code routes with `.get("/…")`, its own folder and the shared package's. */
  getRoutes: Set<string>;
}

const sharedExports = shared as unknown as Record<string, unknown>;

function stringLiterals(node: ts.Node): string[] {
  const found: string[] = [];
  const visit = (child: ts.Node) => {
    if (ts.isStringLiteral(child) || ts.isNoSubstitutionTemplateLiteral(child)) found.push(child.text);
    // LOCAL_DEFAULTS.X from the shared package: its value, as the service sees it.
    if (ts.isPropertyAccessExpression(child) && child.expression.getText() === "LOCAL_DEFAULTS")
      found.push(String((shared.LOCAL_DEFAULTS as Record<string, string>)[child.name.text]));
    ts.forEachChild(child, visit);
  };
  visit(node);
  return found;
}

function variableOf(name: string, initializer: ts.Expression): ConfigVariable {
  const variable: ConfigVariable = { name };
  if (
    ts.isCallExpression(initializer) &&
    initializer.expression.getText() === "env.port" &&
    initializer.arguments[0] &&
    ts.isNumericLiteral(initializer.arguments[0])
  ) {
    variable.defaultPort = Number(initializer.arguments[0].text);
  }
  const loopback = stringLiterals(initializer).find((literal) => shared.pointsAtLoopback(literal));
  if (loopback !== undefined) variable.loopbackDefault = loopback;
  return variable;
}

/** Variables of a schema spread in from the shared package (`...kafkaEnv`), judged by its real values. */
function spreadVariables(identifier: string, entry: string): ConfigVariable[] {
  const shape = sharedExports[identifier] as Record<string, { safeParse(value: unknown): { success: boolean } }> | undefined;
  if (!shape || typeof shape !== "object")
    throw new Error(`${entry}: loadConfig spreads ${identifier}, which @marimba/shared does not export`);
  const loopback = shared.loopbackDefaults(shape as never);
  return Object.keys(shape).map((name) => ({ name, loopbackDefault: loopback[name] }));
}

function routesUnder(directory: string): string[] {
  const routes: string[] = [];
  for (const item of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, item.name);
    if (item.isDirectory()) routes.push(...routesUnder(path));
    else if (item.name.endsWith(".ts"))
      for (const match of readFileSync(path, "utf8").matchAll(/\.get\(\s*["'`](\/[^"'`]*)["'`]/g)) routes.push(match[1] as string);
  }
  return routes;
}

const cache = new Map<string, ServiceConfig | undefined>();

/** The configuration the entry file reads, or undefined when it is not one of ours (a plain image). */
export function serviceConfig(entry: string): ServiceConfig | undefined {
  if (cache.has(entry)) return cache.get(entry);
  const path = join(repoRoot, entry);
  let config: ServiceConfig | undefined;
  if (entry.endsWith(".ts") && !entry.startsWith("/") && existsSync(path)) {
    const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
    const variables = new Map<string, ConfigVariable>();
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node) && node.expression.getText() === "loadConfig" && node.arguments[0]) {
        const shape = node.arguments[0];
        if (!ts.isObjectLiteralExpression(shape))
          throw new Error(`${entry}: loadConfig is given ${shape.getText()}, not an object literal`);
        for (const property of shape.properties) {
          if (ts.isPropertyAssignment(property)) {
            const name = property.name.getText().replace(/^["']|["']$/g, "");
            variables.set(name, variableOf(name, property.initializer));
          } else if (ts.isSpreadAssignment(property)) {
            for (const variable of spreadVariables(property.expression.getText(), entry)) variables.set(variable.name, variable);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    if (variables.size > 0) {
      // The service's own folder (`consumer/src`, `producer-grpc/src/server`) and the shared package.
      const folder = dirname(path);
      const getRoutes = new Set([...routesUnder(folder), ...routesUnder(join(repoRoot, "packages", "shared", "src"))]);
      config = { entry: relative(repoRoot, path), variables, getRoutes };
    }
  }
  cache.set(entry, config);
  return config;
}
