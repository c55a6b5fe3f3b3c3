/**
 * proto-loader's file descriptors, made whole for server reflection. As generated they
 * declare no imports (so `grpcurl` cannot resolve `google.protobuf.Timestamp`, grpc-node
 * issue 2958) and name map entries after the field instead of `<Field>Entry` (so strict
 * clients reject `grpc.health.v1`). Both are fixed here, before `@grpc/reflection` sees them.
 */
import type { PackageDefinition } from "@grpc/proto-loader";
import { FileDescriptorProto, type IDescriptorProto, type IFileDescriptorProto } from "protobufjs/ext/descriptor/index.js";

type Message = IDescriptorProto;
/** Message and enum definitions carry the descriptors of every file they were loaded with. */
type Described = { fileDescriptorProtos?: Buffer[] };

/** protoc's name for the entry type of a map field: `statuses` → `StatusesEntry`. */
export function mapEntryName(fieldName: string): string {
  return `${fieldName
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("")}Entry`;
}

function renameMapEntries(message: Message): void {
  for (const nested of message.nestedType ?? []) {
    renameMapEntries(nested);
    if (!nested.options?.mapEntry || !nested.name) continue;
    const field = message.field?.find((candidate) => candidate.typeName === nested.name);
    if (!field?.name) continue;
    nested.name = mapEntryName(field.name);
    field.typeName = nested.name;
  }
}

/** Every message and enum a file declares, by fully-qualified name without the leading dot. */
function declaredSymbols(file: IFileDescriptorProto): string[] {
  const symbols: string[] = [];
  const prefix = file.package ? `${file.package}.` : "";
  const visit = (message: Message, scope: string) => {
    const name = `${scope}${message.name}`;
    symbols.push(name);
    for (const nested of message.nestedType ?? []) visit(nested, `${name}.`);
    for (const enumType of message.enumType ?? []) symbols.push(`${name}.${enumType.name}`);
  };
  for (const message of file.messageType ?? []) visit(message, prefix);
  for (const enumType of file.enumType ?? []) symbols.push(`${prefix}${enumType.name}`);
  return symbols;
}

/** Resolves a type reference as protoc does: innermost scope first, then outwards. */
function resolve(reference: string, scope: string, symbols: Map<string, string>): string | undefined {
  if (reference.startsWith(".")) return symbols.has(reference.slice(1)) ? reference.slice(1) : undefined;
  const parts = scope ? scope.split(".") : [];
  for (let depth = parts.length; depth >= 0; depth--) {
    const candidate = [...parts.slice(0, depth), reference].join(".");
    if (symbols.has(candidate)) return candidate;
  }
  return undefined;
}

/** Makes every field's type reference absolute and returns the files they point into. */
function qualifyReferences(file: IFileDescriptorProto, symbols: Map<string, string>): Set<string> {
  const used = new Set<string>();
  const visit = (message: Message, scope: string) => {
    const name = scope ? `${scope}.${message.name}` : String(message.name);
    for (const field of message.field ?? []) {
      if (!field.typeName) continue;
      const target = resolve(field.typeName, name, symbols);
      if (!target) continue;
      field.typeName = `.${target}`;
      used.add(symbols.get(target) as string);
    }
    for (const nested of message.nestedType ?? []) visit(nested, name);
  };
  for (const message of file.messageType ?? []) visit(message, file.package ?? "");
  for (const service of file.service ?? []) {
    for (const method of service.method ?? []) {
      for (const type of [method.inputType, method.outputType]) {
        const target = type ? resolve(type, file.package ?? "", symbols) : undefined;
        if (target) used.add(symbols.get(target) as string);
      }
    }
  }
  used.delete(String(file.name));
  return used;
}

/** A copy of the package definition whose file descriptors declare their imports and name map entries as protoc does. */
export function reflectableDefinition(definition: PackageDefinition): PackageDefinition {
  const files = new Map<string, IFileDescriptorProto>();
  for (const type of Object.values(definition)) {
    for (const bytes of (type as Described).fileDescriptorProtos ?? []) {
      const file = FileDescriptorProto.decode(bytes) as IFileDescriptorProto;
      if (file.name && !files.has(file.name)) files.set(file.name, file);
    }
  }
  const symbols = new Map<string, string>();
  for (const [name, file] of files) {
    for (const message of file.messageType ?? []) renameMapEntries(message);
    for (const symbol of declaredSymbols(file)) symbols.set(symbol, name);
  }
  const encoded = new Map<string, Buffer>();
  for (const [name, file] of files) {
    file.dependency = [...qualifyReferences(file, symbols)].sort();
    encoded.set(name, Buffer.from(FileDescriptorProto.encode(file).finish()));
  }
  const whole: PackageDefinition = {};
  for (const [name, type] of Object.entries(definition)) {
    const protos = (type as Described).fileDescriptorProtos?.map((bytes) => {
      const file = FileDescriptorProto.decode(bytes) as IFileDescriptorProto;
      return encoded.get(String(file.name)) ?? bytes;
    });
    whole[name] = protos ? ({ ...type, fileDescriptorProtos: protos } as typeof type) : type;
  }
  return whole;
}
