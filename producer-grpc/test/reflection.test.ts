import { describe, expect, test } from "bun:test";
import { FileDescriptorProto, type IDescriptorProto, type IFileDescriptorProto } from "protobufjs/ext/descriptor/index.js";
import { loadContract } from "../src/contract.ts";
import { mapEntryName, reflectableDefinition } from "../src/server/reflection.ts";

function filesOf(definition: ReturnType<typeof loadContract>): Map<string, IFileDescriptorProto> {
  const files = new Map<string, IFileDescriptorProto>();
  for (const type of Object.values(definition)) {
    for (const bytes of (type as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos ?? []) {
      const file = FileDescriptorProto.decode(bytes) as IFileDescriptorProto;
      files.set(String(file.name), file);
    }
  }
  return files;
}

function symbolsOf(file: IFileDescriptorProto): string[] {
  const symbols: string[] = [];
  const visit = (message: IDescriptorProto, scope: string) => {
    const name = `${scope}.${message.name}`;
    symbols.push(name);
    for (const nested of message.nestedType ?? []) visit(nested, name);
    for (const enumType of message.enumType ?? []) symbols.push(`${name}.${enumType.name}`);
  };
  for (const message of file.messageType ?? []) visit(message, `.${file.package}`);
  return symbols;
}

function references(file: IFileDescriptorProto): string[] {
  const found: string[] = [];
  const visit = (message: IDescriptorProto) => {
    for (const field of message.field ?? []) if (field.typeName) found.push(field.typeName);
    for (const nested of message.nestedType ?? []) visit(nested);
  };
  for (const message of file.messageType ?? []) visit(message);
  return found;
}

describe("descriptors served by reflection", () => {
  const files = filesOf(reflectableDefinition(loadContract({ keepCase: true })));

  test("name every type absolutely, in the file itself or a file it imports (what grpcurl needs)", () => {
    for (const file of files.values()) {
      const visible = new Set(
        [file, ...(file.dependency ?? []).map((name: string) => files.get(name))].flatMap((f) => (f ? symbolsOf(f) : [])),
      );
      for (const reference of references(file)) expect(visible, `${file.name}: ${reference}`).toContain(reference);
    }
  });

  test("declare the import of google.protobuf.Timestamp by the votes file", () => {
    const votes = [...files.values()].find((file) => file.package === "marimba.v1");
    const timestamp = [...files.values()].find((file) => file.package === "google.protobuf");
    expect(votes?.dependency).toEqual([String(timestamp?.name)]);
  });

  test("name the health service's map entry as protoc does", () => {
    const health = [...files.values()].find((file) => file.package === "grpc.health.v1");
    const list = health?.messageType?.find((message) => message.name === "HealthListResponse");
    expect(list?.nestedType?.map((nested) => nested.name)).toEqual(["StatusesEntry"]);
    expect(list?.field?.[0]?.typeName).toBe(".grpc.health.v1.HealthListResponse.StatusesEntry");
  });

  test("keep the proto's field names", () => {
    const votes = [...files.values()].find((file) => file.package === "marimba.v1");
    expect(votes?.messageType?.find((message) => message.name === "Vote")?.field?.map((field) => field.name)).toContain("accepted_at");
  });

  test("describe every VoteService method with its request and answer types", () => {
    const votes = [...files.values()].find((file) => file.package === "marimba.v1");
    const methods = votes?.service?.find((service) => service.name === "VoteService")?.method ?? [];
    expect(methods.map(({ name, inputType, outputType, clientStreaming }) => ({ name, inputType, outputType, clientStreaming }))).toEqual([
      { name: "Cast", inputType: ".marimba.v1.Vote", outputType: ".marimba.v1.Receipt", clientStreaming: false },
      { name: "CastStream", inputType: ".marimba.v1.Vote", outputType: ".marimba.v1.Receipts", clientStreaming: true },
      { name: "CastBatch", inputType: ".marimba.v1.Votes", outputType: ".marimba.v1.Receipts", clientStreaming: false },
    ]);
  });

  test("map entry names follow protoc's camel-casing of the field", () => {
    expect(mapEntryName("statuses")).toBe("StatusesEntry");
    expect(mapEntryName("votes_by_band")).toBe("VotesByBandEntry");
  });
});
