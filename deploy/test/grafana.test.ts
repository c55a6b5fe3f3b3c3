import { describe, expect, test } from "bun:test";
import { tallyKeys, VOTE_SERIES_KEY } from "@marimba/shared";
import { parse } from "yaml";
import { addressesIn, unresolvedAddress } from "./lib/checks.ts";
import { type Dashboard, dashboardTargets, problemsOfTarget } from "./lib/grafana.ts";
import { find, findGenerated, NAMESPACE, render } from "./lib/manifests.ts";

const objects = render();
const configMapFile = (name: string, file: string) => findGenerated(objects, "ConfigMap", name)?.data?.[file] ?? "";
const dashboard = JSON.parse(configMapFile("grafana-dashboards", "marimba.json")) as Dashboard;
const datasource = parse(configMapFile("grafana-datasources", "datasources.yaml")).datasources[0];
const grafana = find(objects, "Deployment", "grafana")?.spec.template.spec;
/** Every key the consumer writes that a panel may read. */
const consumerKeys = { ...tallyKeys, series: VOTE_SERIES_KEY };

describe("Grafana", () => {
  test("every panel queries a Redis key the consumer writes, with the command its type needs", () => {
    const targets = dashboardTargets(dashboard);
    expect(targets.length).toBeGreaterThan(0);
    const problems = targets.flatMap(({ panel, target }) => problemsOfTarget(panel, target, datasource.uid, consumerKeys));
    expect(problems).toEqual([]);
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

  test("Grafana is pinned to 11.x, where the redis-datasource plugin loads, and installs the plugin pinned", () => {
    for (const container of [...grafana.initContainers, ...grafana.containers]) {
      expect(container.image).toMatch(/^grafana\/grafana:11\.\d+\.\d+$/);
    }
    expect(grafana.initContainers[0].command.join(" ")).toMatch(/plugins install redis-datasource \d+\.\d+\.\d+$/);
  });
});
