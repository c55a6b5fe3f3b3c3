import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tallyKeys, VOTE_SERIES_KEY } from "@marimba/shared";
import { parse } from "yaml";
import { addressesIn, unresolvedAddress } from "./lib/checks.ts";
import { checkDockerfile, parseDockerfile } from "./lib/dockerfile.ts";
import { type Dashboard, dashboardTargets } from "./lib/grafana.ts";
import { deployDir, find, findGenerated, NAMESPACE, render } from "./lib/manifests.ts";
import { checkGrafanaDashboard } from "./lib/suite.ts";

const objects = render();
const configMapFile = (name: string, file: string) => findGenerated(objects, "ConfigMap", name)?.data?.[file] ?? "";
const dashboard = JSON.parse(configMapFile("grafana-dashboards", "marimba.json")) as Dashboard;
const datasource = parse(configMapFile("grafana-datasources", "datasources.yaml")).datasources[0];
const grafana = find(objects, "Deployment", "grafana")?.spec.template.spec;

describe("Grafana", () => {
  test("every panel queries a Redis key the consumer writes, with the command its type needs", () => {
    expect(dashboardTargets(dashboard).length).toBeGreaterThan(0);
    expect(checkGrafanaDashboard(objects)).toEqual([]);
  });

  test("the dashboard shows votes per band (pie), total (stat), per album (bar gauge), over time and per route", () => {
    const panels = dashboardTargets(dashboard).map(({ panel, target }) => `${panel.type} ${target.keyName}`);
    expect(panels).toContain(`piechart ${tallyKeys.band}`);
    expect(panels).toContain(`stat ${tallyKeys.total}`);
    expect(panels).toContain(`bargauge ${tallyKeys.album}`);
    expect(panels).toContain(`timeseries ${VOTE_SERIES_KEY}`);
    expect(panels.some((panel) => panel.endsWith(tallyKeys.route))).toBe(true);
  });

  test("votes over time come from the series stream Redis keeps, not from a streaming query whose history a refresh wipes", () => {
    const targets = dashboardTargets(dashboard);
    expect(targets.filter(({ target }) => target.streaming)).toEqual([]);
    const overTime = targets.find(({ panel }) => panel.type === "timeseries");
    expect(overTime?.target).toMatchObject({ command: "xrange", keyName: VOTE_SERIES_KEY });
  });

  test("votes per route over time come from the same stream, each route its own series, the running total and recount marks left out", () => {
    const overTime = dashboardTargets(dashboard).filter(
      ({ panel, target }) => panel.type === "timeseries" && target.command === "xrange" && target.keyName === VOTE_SERIES_KEY,
    );
    const excluded = (panel: (typeof overTime)[number]["panel"]) =>
      (
        (panel.transformations ?? []).find((t) => t.id === "organize") as
          | { options?: { excludeByName?: Record<string, boolean> } }
          | undefined
      )?.options?.excludeByName ?? {};
    const perRoute = overTime.find(({ panel }) => !excluded(panel).http && !excluded(panel).grpc);
    expect(perRoute).toBeDefined();
    if (perRoute) expect(excluded(perRoute.panel)).toMatchObject({ total: true, source: true });
    for (const { panel } of overTime) expect(excluded(panel).source).toBe(true);
  });

  test("no panel carries a transformation that expects a Field/Value table the plugin's HGETALL never returns", () => {
    const transformations = dashboardTargets(dashboard).flatMap(({ panel }) =>
      (panel.transformations ?? []).map((t) => `${panel.title}: ${t.id}`),
    );
    expect(transformations.filter((entry) => /convertFieldType|rowsToFields/.test(entry))).toEqual([]);
  });

  test("the provisioned data source is the Redis plugin pointed at the redis Service", () => {
    expect(datasource.type).toBe("redis-datasource");
    const [address] = addressesIn(datasource.url);
    expect(address).toBeDefined();
    if (address) expect(unresolvedAddress(objects, grafana, address.host, address.port, NAMESPACE)).toBeUndefined();
  });

  test("the dashboard provider reads the folder where the dashboards ConfigMap is mounted", () => {
    const provider = parse(configMapFile("grafana-dashboard-providers", "providers.yaml")).providers[0];
    const volume = grafana.volumes.find((candidate: { configMap?: { name: string } }) =>
      candidate.configMap?.name.startsWith("grafana-dashboards-"),
    );
    const mount = grafana.containers[0].volumeMounts.find((candidate: { name: string }) => candidate.name === volume?.name);
    expect(mount?.mountPath).toBe(provider.options.path);
  });

  test("Grafana runs our image, built from 11.x with the pinned plugin baked in, and downloads nothing at start", () => {
    const dockerfile = readFileSync(join(deployDir, "grafana", "Dockerfile"), "utf8");
    expect(parseDockerfile(dockerfile)[0]?.image).toMatch(/^grafana\/grafana:11\.\d+\.\d+$/);
    const version = dockerfile.match(/^ARG REDIS_DATASOURCE_VERSION=(\d+\.\d+\.\d+)$/m)?.[1];
    expect(version).toBeDefined();
    expect(dockerfile).toContain('plugins install redis-datasource "$REDIS_DATASOURCE_VERSION"');
    // The plugins folder must not be where the pod mounts a volume, or the baked plugin is hidden.
    const pluginsDir = dockerfile.match(/^ENV GF_PATHS_PLUGINS=(\S+)$/m)?.[1] ?? "";
    expect(pluginsDir).not.toBe("");
    const [container] = grafana.containers;
    for (const mount of container.volumeMounts) expect(`${pluginsDir}/`.startsWith(`${mount.mountPath}/`)).toBe(false);
    expect(grafana.initContainers).toBeUndefined();
    expect(container.image).toMatch(/^marimba\/grafana:/);
    const env = container.env.map((variable: { name: string }) => variable.name);
    for (const download of ["GF_INSTALL_PLUGINS", "GF_PLUGINS_PREINSTALL", "GF_PLUGINS_PREINSTALL_SYNC"])
      expect(env).not.toContain(download);
    expect(container.env.find((variable: { name: string }) => variable.name === "GF_PLUGINS_PREINSTALL_DISABLED")?.value).toBe("true");
    expect(checkDockerfile(dockerfile, "")).toEqual([]);
  });
});
