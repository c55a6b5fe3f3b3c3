// Walks a Grafana dashboard's panels (rows included) and judges their Redis queries.
export interface Target {
  refId?: string;
  datasource?: { type?: string; uid?: string };
  type?: string;
  command?: string;
  keyName?: string;
  streaming?: boolean;
}

export interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  transformations?: { id: string }[];
  panels?: Panel[];
}

export interface Dashboard {
  panels: Panel[];
}

export function dashboardTargets(dashboard: Dashboard): { panel: Panel; target: Target }[] {
  const walk = (panels: Panel[]): { panel: Panel; target: Target }[] =>
    panels.flatMap((panel) => [...(panel.targets ?? []).map((target) => ({ panel, target })), ...walk(panel.panels ?? [])]);
  return walk(dashboard.panels);
}

/**
 * The fields of the plugin's query (RedisQuery in grafana-redis-datasource's src/redis/types.ts, 2.x)
 * and of Grafana's DataQuery: the plugin ignores any other, so a misspelled one silently does nothing.
 */
export const REDIS_QUERY_FIELDS = new Set([
  ...["refId", "hide", "key", "queryType", "datasource"],
  ...["type", "query", "field", "filter", "command", "keyName", "value", "aggregation", "zrangeQuery", "bucket", "fill"],
  ...["legend", "section", "size", "streaming", "streamingInterval", "streamingCapacity", "streamingDataType"],
  ...["cursor", "match", "count", "samples", "start", "end", "min", "max", "cypher"],
]);

/** A Redis target must read one of the consumer's keys: GET for the total, XRANGE for the series stream, HGETALL for the hashes. */
export function problemsOfTarget(panel: Panel, target: Target, datasourceUid: string, keys: Record<string, string>): string[] {
  const where = `panel "${panel.title ?? panel.id}" target ${target.refId ?? "?"}`;
  const problems: string[] = [];
  const uid = target.datasource?.uid ?? panel.datasource?.uid;
  if (uid !== datasourceUid) problems.push(`${where}: uses data source ${uid}, not the provisioned ${datasourceUid}`);
  if (target.type !== "command") problems.push(`${where}: is not a Redis command query`);
  for (const field of Object.keys(target)) {
    if (!REDIS_QUERY_FIELDS.has(field)) problems.push(`${where}: has field ${field}, which the Redis data source does not know`);
  }
  const keyName = target.keyName ?? "";
  if (!Object.values(keys).includes(keyName)) {
    problems.push(`${where}: reads ${keyName || "(no key)"}, which the consumer does not write`);
    return problems;
  }
  const expected = keyName === keys.total ? "get" : keyName === keys.series ? "xrange" : "hgetall";
  if (target.command !== expected) problems.push(`${where}: reads ${keyName} with ${target.command}, expected ${expected}`);
  return problems;
}
