/**
 * ONNX ModelProto: operators (with their domains) from the main graph, every subgraph (If / Loop / Scan
 * attributes), training graphs and model-local functions; external-data references checked against the disk.
 * Tensor payloads are skipped without being buffered (see protobuf.ts).
 */
import { lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type Attribute,
  type Graph,
  type Model,
  ModelProtoType,
  type Node,
  type SparseTensor,
  type Tensor,
} from './onnx-proto.js';
import type { BinaryFormat, BinaryInput } from './plugins.js';
import { decodeStream, looksLikeMessage, protoFailure } from './protobuf.js';
import { isFileSource } from './source.js';

/** What happened when an external-data location was resolved inside the model folder. */
export type ExternalDataState =
  /** The file is there, regular, not linked, and long enough. */
  | 'ok'
  /** Not looked up: the location is unsafe as written, or the model is not on disk (inside an archive). */
  | 'unchecked'
  | 'missing'
  /** A path component is a symbolic link (followed by loaders, possibly out of the folder). */
  | 'symlink'
  /** The file has more than one hard link: its bytes may belong to a file outside the folder. */
  | 'hardlink'
  | 'not-a-file'
  /** The file ends before offset + length. */
  | 'too-short'
  /** `offset` / `length` are not non-negative integers. */
  | 'bad-range';

export type OnnxFact =
  | {
      kind: 'onnx-model';
      irVersion?: number;
      producer?: string;
      producerVersion?: string;
      domain?: string;
      modelVersion?: number;
      opsets: { domain: string; version: number }[];
      graphs: number;
      nodes: number;
      functions: string[];
      initializers: number;
      externalTensors: number;
    }
  /** One fact per distinct (domain, op_type), with where it first occurs. */
  | {
      kind: 'onnx-operator';
      domain: string;
      opType: string;
      count: number;
      /** Byte offset of the first node using it. */
      offset: number;
      node: string;
      /** The graph it first appears in: `main`, `main/<node>.<attribute>`, `function <domain>.<name>` ... */
      graph: string;
      /** The op calls a function defined in the model itself (whose body is walked too). */
      localFunction: boolean;
      /** String attributes of the first node (module / class names of Python ops), shortened. */
      attributes: Record<string, string>;
    }
  | {
      kind: 'onnx-external-data';
      tensor: string;
      location: string;
      /** Byte offset of the TensorProto in the model file. */
      offset: number;
      graph: string;
      dataOffset?: number;
      dataLength?: number;
      /** Why the location is unsafe as written (absolute, `..`, backslash, NUL), if it is. */
      pathIssue?: string;
      state: ExternalDataState;
      /** Size of the referenced file, when it was found. */
      fileSize?: number;
      detail?: string;
    };

/** Distinct operators reported per model before the rest are summarised as a limit. */
const MAX_OPERATOR_FACTS = 10_000;
/** External-data references checked on disk per model. */
const MAX_EXTERNAL_CHECKS = 100_000;
const MAX_ATTRIBUTE_PREVIEW = 200;

export const onnxFormat: BinaryFormat = {
  format: 'onnx',
  sniff(head, name, size) {
    // With the name hint, a value running past the end still claims the file: a truncated model is reported, not skipped.
    if (name && /\.onnx$/i.test(name)) return looksLikeMessage(head, ModelProtoType, undefined, { minFields: 2 });
    // Without the name hint: ir_version first (as onnx and torch.onnx write it), then fields up to the graph or the
    // opset imports. `.pb` files are TensorFlow's: a SavedModel has the same first two wire types.
    if (name && /\.pb$/i.test(name)) return false;
    return looksLikeMessage(head, ModelProtoType, size, { minFields: 3, first: 1, anyOf: [7, 8] });
  },
  async analyse(input) {
    let model: Model;
    try {
      model = await decodeStream<Model>(input.stream, ModelProtoType);
    } catch (error) {
      input.facts.push(protoFailure(error, 'ModelProto'));
      return;
    }
    await describeModel(model, input);
  },
};

interface TensorAt {
  tensor: Tensor;
  graph: string;
}

async function describeModel(model: Model, input: BinaryInput) {
  const facts = input.facts;
  if (!model.graph && !model.functions?.length) {
    facts.push({ kind: 'malformed', detail: 'ModelProto has neither a graph nor functions', offset: 0 });
  }
  const localFunctions = new Set((model.functions ?? []).map((fn) => `${fn.domain ?? ''}\0${fn.name ?? ''}`));
  const operators = new Map<string, Extract<OnnxFact, { kind: 'onnx-operator' }>>();
  const tensors: TensorAt[] = [];
  let graphs = 0;
  let nodes = 0;

  const visitNodes = (list: readonly Node[] | undefined, graph: string) => {
    for (const node of list ?? []) {
      nodes++;
      const domain = node.domain ?? '';
      const opType = node.op_type ?? '';
      const key = `${domain}\0${opType}`;
      const seen = operators.get(key);
      if (seen) seen.count++;
      else if (operators.size < MAX_OPERATOR_FACTS) {
        operators.set(key, {
          kind: 'onnx-operator',
          domain,
          opType,
          count: 1,
          offset: node.$offset,
          node: node.name ?? '',
          graph,
          localFunction: localFunctions.has(key),
          attributes: stringAttributes(node.attribute),
        });
      }
      for (const attribute of node.attribute ?? []) visitAttribute(attribute, `${graph}/${node.name || opType}`);
    }
  };
  const visitGraph = (graph: Graph | undefined, path: string) => {
    if (!graph) return;
    graphs++;
    for (const tensor of graph.initializer ?? []) tensors.push({ tensor, graph: path });
    for (const sparse of graph.sparse_initializer ?? []) addSparse(sparse, path);
    visitNodes(graph.node, path);
  };
  const addSparse = (sparse: SparseTensor | undefined, graph: string) => {
    if (sparse?.values) tensors.push({ tensor: sparse.values, graph });
    if (sparse?.indices) tensors.push({ tensor: sparse.indices, graph });
  };
  const visitAttribute = (attribute: Attribute, owner: string) => {
    const path = `${owner}.${attribute.name ?? ''}`;
    if (attribute.t) tensors.push({ tensor: attribute.t, graph: owner });
    for (const tensor of attribute.tensors ?? []) tensors.push({ tensor, graph: owner });
    addSparse(attribute.sparse_tensor, owner);
    for (const sparse of attribute.sparse_tensors ?? []) addSparse(sparse, owner);
    visitGraph(attribute.g, path);
    (attribute.graphs ?? []).forEach((graph, index) => {
      visitGraph(graph, `${path}[${index}]`);
    });
  };

  visitGraph(model.graph, 'main');
  (model.training_info ?? []).forEach((info, index) => {
    visitGraph(info.initialization, `training_info[${index}].initialization`);
    visitGraph(info.algorithm, `training_info[${index}].algorithm`);
  });
  for (const fn of model.functions ?? []) visitNodes(fn.node, `function ${fn.domain ?? ''}.${fn.name ?? ''}`);

  const external = tensors.filter(
    ({ tensor }) => tensor.data_location === 1 || (tensor.external_data?.length ?? 0) > 0,
  );
  facts.push({
    kind: 'onnx-model',
    irVersion: model.ir_version,
    producer: model.producer_name,
    producerVersion: model.producer_version,
    domain: model.domain,
    modelVersion: model.model_version,
    opsets: (model.opset_import ?? []).map((opset) => ({ domain: opset.domain ?? '', version: opset.version ?? 0 })),
    graphs,
    nodes,
    functions: (model.functions ?? []).map((fn) => `${fn.domain ?? ''}.${fn.name ?? ''}`),
    initializers: tensors.length,
    externalTensors: external.length,
  });
  facts.push(...operators.values());
  if (nodes > 0 && operators.size >= MAX_OPERATOR_FACTS) {
    facts.push({
      kind: 'limit-reached',
      limit: 'onnx-operators',
      value: operators.size,
      detail: `more than ${MAX_OPERATOR_FACTS} distinct operators; the others were not reported`,
    });
  }

  const modelDir = !input.container && isFileSource(input.source) ? dirname(input.source.path) : undefined;
  for (const [index, { tensor, graph }] of external.entries()) {
    if (index >= MAX_EXTERNAL_CHECKS) {
      facts.push({
        kind: 'limit-reached',
        limit: 'onnx-external-data',
        value: external.length,
        detail: `more than ${MAX_EXTERNAL_CHECKS} external tensors; the others were not checked`,
      });
      break;
    }
    facts.push(await externalData(tensor, graph, modelDir));
  }
}

function stringAttributes(attributes: readonly Attribute[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const attribute of attributes ?? []) {
    if (!attribute.s || !attribute.name || Object.keys(out).length >= 8) continue;
    const text = new TextDecoder().decode(attribute.s);
    out[attribute.name] = text.length > MAX_ATTRIBUTE_PREVIEW ? `${text.slice(0, MAX_ATTRIBUTE_PREVIEW)}…` : text;
  }
  return out;
}

const INTEGER = /^\d{1,16}$/;

async function externalData(
  tensor: Tensor,
  graph: string,
  modelDir: string | undefined,
): Promise<Extract<OnnxFact, { kind: 'onnx-external-data' }>> {
  const entries = new Map((tensor.external_data ?? []).map((entry) => [entry.key ?? '', entry.value ?? '']));
  const location = entries.get('location') ?? '';
  const fact: Extract<OnnxFact, { kind: 'onnx-external-data' }> = {
    kind: 'onnx-external-data',
    tensor: tensor.name ?? '',
    location,
    offset: tensor.$offset,
    graph,
    state: 'unchecked',
  };
  const offset = entries.get('offset');
  const length = entries.get('length');
  if ((offset !== undefined && !INTEGER.test(offset)) || (length !== undefined && !INTEGER.test(length))) {
    fact.state = 'bad-range';
    fact.detail = `offset ${JSON.stringify(offset)} / length ${JSON.stringify(length)} are not non-negative integers`;
  }
  if (offset !== undefined && INTEGER.test(offset)) fact.dataOffset = Number(offset);
  if (length !== undefined && INTEGER.test(length)) fact.dataLength = Number(length);
  fact.pathIssue = locationIssue(location);
  if (fact.pathIssue || fact.state === 'bad-range') return fact;
  if (!modelDir) {
    fact.detail = 'the model is not a file on disk (inside an archive or a stream): the location was not looked up';
    return fact;
  }
  // Walk the location one component at a time with lstat: never follow a link.
  let path = modelDir;
  const parts = location.split('/').filter((part) => part !== '' && part !== '.');
  for (const [index, part] of parts.entries()) {
    path = join(path, part);
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(path);
    } catch (error) {
      fact.state = 'missing';
      fact.detail = (error as NodeJS.ErrnoException).code ?? String(error);
      return fact;
    }
    if (info.isSymbolicLink()) {
      fact.state = 'symlink';
      fact.detail = `${parts.slice(0, index + 1).join('/')} is a symbolic link`;
      return fact;
    }
    if (index < parts.length - 1) {
      if (!info.isDirectory()) {
        fact.state = 'missing';
        fact.detail = `${parts.slice(0, index + 1).join('/')} is not a folder`;
        return fact;
      }
      continue;
    }
    if (!info.isFile()) {
      fact.state = 'not-a-file';
      fact.detail = 'not a regular file';
      return fact;
    }
    fact.fileSize = info.size;
    if (info.nlink > 1) {
      fact.state = 'hardlink';
      fact.detail = `the file has ${info.nlink} hard links`;
      return fact;
    }
    const end = (fact.dataOffset ?? 0) + (fact.dataLength ?? 0);
    if (end > info.size || (fact.dataOffset ?? 0) > info.size) {
      fact.state = 'too-short';
      fact.detail = `the file has ${info.size} bytes; the tensor needs bytes up to ${end}`;
      return fact;
    }
    fact.state = 'ok';
  }
  if (parts.length === 0) {
    fact.state = 'missing';
    fact.detail = 'the location names no file';
  }
  return fact;
}

/**
 * Why an external-data location is unsafe as written: onnx's checker rules (onnx#5917, #6959, #7717) plus the
 * Windows spellings. (Overlaps analyse.ts `unsafePathReason`, which cannot be imported here without an import
 * cycle through the format registry.)
 */
function locationIssue(location: string): string | undefined {
  if (location === '') return 'no location';
  if (location.includes('\0')) return 'contains a NUL byte';
  if (location.startsWith('/') || location.startsWith('\\')) return 'absolute path';
  if (/^[a-zA-Z]:/.test(location)) return 'drive-letter path';
  if (location.split(/[\\/]/).includes('..')) return 'climbs out of the model folder with ..';
  if (location.includes('\\')) return 'contains a backslash (a path separator on Windows)';
  if (location.startsWith('~')) return 'starts with ~ (a home folder)';
  if (/^[a-z][a-z0-9+.-]*:/i.test(location)) return 'has a URL scheme or drive prefix';
  return undefined;
}
