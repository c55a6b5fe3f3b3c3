// Validates rendered objects against the Kubernetes OpenAPI schemas shipped by kubernetes-models.
// Custom resources (Strimzi) have no model there; they get structural checks of their own.
import * as groups from "kubernetes-models";
import { label, type Manifest } from "./manifests.ts";

type ModelClass = (new (data: unknown) => { validate(): void }) & { apiVersion: string; kind: string };

const models = new Map<string, ModelClass>();
// Named groups export versions of classes (apps.v1.Deployment); the core group exports classes (v1.Service).
function register(exports: Record<string, unknown>, depth: number): void {
  for (const candidate of Object.values(exports)) {
    const model = candidate as Partial<ModelClass>;
    if (typeof candidate === "function" && model.apiVersion && model.kind)
      models.set(`${model.apiVersion}/${model.kind}`, model as ModelClass);
    else if (depth > 0 && typeof candidate === "object" && candidate !== null) register(candidate as Record<string, unknown>, depth - 1);
  }
}
register(groups, 2);

/** Problems of the custom resources this project renders, by `apiVersion/kind`. */
const customResources: Record<string, (object: Manifest) => string[]> = {
  "kafka.strimzi.io/v1/Kafka": (kafka) => {
    const listeners: { name?: string; port?: number; type?: string }[] = kafka.spec?.kafka?.listeners ?? [];
    return listeners.length > 0 && listeners.every((listener) => listener.name && listener.port && listener.type)
      ? []
      : ["spec.kafka.listeners needs at least one listener with name, port and type"];
  },
  "kafka.strimzi.io/v1/KafkaNodePool": (pool) => {
    const problems: string[] = [];
    if (!kafkaCluster(pool)) problems.push("needs the strimzi.io/cluster label");
    if (!Number.isInteger(pool.spec?.replicas)) problems.push("spec.replicas must be an integer");
    if (!Array.isArray(pool.spec?.roles) || pool.spec.roles.length === 0) problems.push("spec.roles must list controller and/or broker");
    if (!pool.spec?.storage?.type) problems.push("spec.storage.type is required");
    return problems;
  },
  "kafka.strimzi.io/v1/KafkaTopic": (topic) => {
    const problems: string[] = [];
    if (!kafkaCluster(topic)) problems.push("needs the strimzi.io/cluster label");
    if (!Number.isInteger(topic.spec?.partitions)) problems.push("spec.partitions must be an integer");
    if (!Number.isInteger(topic.spec?.replicas)) problems.push("spec.replicas must be an integer");
    return problems;
  },
};

function kafkaCluster(object: Manifest): string | undefined {
  return object.metadata.labels?.["strimzi.io/cluster"];
}

export function validateObject(object: Manifest): string[] {
  const key = `${object.apiVersion}/${object.kind}`;
  const custom = customResources[key];
  if (custom) return custom(object).map((problem) => `${label(object)}: ${problem}`);
  const Model = models.get(key);
  if (!Model) return [`${label(object)}: no schema known for ${key}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [`${label(object)}: ${(error as Error).message}`];
  }
}

export function validateObjects(objects: Manifest[]): string[] {
  const problems = objects.flatMap(validateObject);
  // Strimzi resources must all belong to a Kafka cluster that is rendered too.
  const clusters = new Set(objects.filter((object) => object.kind === "Kafka").map((object) => object.metadata.name));
  for (const object of objects.filter((candidate) => candidate.apiVersion.startsWith("kafka.strimzi.io/") && candidate.kind !== "Kafka")) {
    const cluster = kafkaCluster(object);
    if (cluster && !clusters.has(cluster)) problems.push(`${label(object)}: belongs to Kafka ${cluster}, which is not rendered`);
  }
  return problems;
}
