/**
 * TensorFlow SavedModel (`saved_model.pb`): the op names of every meta graph's GraphDef, of its function library
 * and of its stripped op list. Decoded with the bounded streaming decoder of protobuf.ts over our own subset
 * of saved_model.proto / meta_graph.proto / graph.proto / function.proto (field numbers from TensorFlow 2.x);
 * Const tensors' payloads (`tensor_content`) are skipped, short string constants are kept to resolve file names.
 */
import { basename } from 'node:path';
import type { BinaryFormat } from './plugins.js';
import { type Decoded, decodeStream, looksLikeMessage, protoFailure, protoRoot } from './protobuf.js';

const SAVED_MODEL_SCHEMA = `
syntax = "proto3";
package tensorflow;

message SavedModel {
  int64 saved_model_schema_version = 1;
  repeated MetaGraphDef meta_graphs = 2;
}
message MetaGraphDef {
  MetaInfoDef meta_info_def = 1;
  GraphDef graph_def = 2;
}
message MetaInfoDef {
  string meta_graph_version = 1;
  OpList stripped_op_list = 2;
  repeated string tags = 4;
  string tensorflow_version = 5;
  string tensorflow_git_version = 6;
}
message OpList { repeated OpDef op = 1; }
message OpDef { string name = 1; }
message GraphDef {
  repeated NodeDef node = 1;
  FunctionDefLibrary library = 2;
}
message FunctionDefLibrary { repeated FunctionDef function = 1; }
message FunctionDef {
  OpDef signature = 1;
  repeated NodeDef node_def = 3;
}
message NodeDef {
  string name = 1;
  string op = 2;
  repeated string input = 3;
  string device = 4;
  repeated AttrEntry attr = 5;
}
// The wire form of map<string, AttrValue>.
message AttrEntry {
  string key = 1;
  AttrValue value = 2;
}
message AttrValue {
  bytes s = 2;
  TensorProto tensor = 8;
}
message TensorProto {
  int32 dtype = 1;
  repeated bytes string_val = 8;
}
`;

const ROOT = protoRoot(SAVED_MODEL_SCHEMA);
export const SavedModelType = ROOT.lookupType('tensorflow.SavedModel');

interface NodeDef extends Decoded {
  name?: string;
  op?: string;
  input?: string[];
  attr?: { key?: string; value?: { s?: Uint8Array; tensor?: { dtype?: number; string_val?: Uint8Array[] } } }[];
}
interface FunctionDef extends Decoded {
  signature?: { name?: string };
  node_def?: NodeDef[];
}
interface MetaGraphDef extends Decoded {
  meta_info_def?: {
    tags?: string[];
    tensorflow_version?: string;
    stripped_op_list?: { op?: (Decoded & { name?: string })[] };
  };
  graph_def?: { node?: NodeDef[]; library?: { function?: FunctionDef[] } };
}
interface SavedModel extends Decoded {
  saved_model_schema_version?: number;
  meta_graphs?: MetaGraphDef[];
}

export type SavedModelFact =
  | {
      kind: 'savedmodel-graph';
      schemaVersion?: number;
      metaGraphs: number;
      tags: string[];
      tensorflowVersion?: string;
      nodes: number;
      functions: number;
    }
  /** One fact per distinct op name. */
  | {
      kind: 'savedmodel-op';
      op: string;
      count: number;
      /** First node using it, its scope (`graph` or `function <name>`) and its byte offset. */
      node: string;
      scope: string;
      offset: number;
      /** The op is a function of the model's own library (a call, not a kernel). */
      libraryFunction: boolean;
      /** Only listed in the stripped op list, not seen in a node. */
      listedOnly: boolean;
      /** Constant strings feeding the first input of its nodes (file names, for TF's file ops), shortened. */
      firstInputStrings: string[];
    };

const DT_STRING = 7;
const MAX_OP_FACTS = 10_000;
const MAX_STRINGS = 16;
const MAX_STRING = 512;

export const savedModelFormat: BinaryFormat = {
  format: 'savedmodel',
  sniff(head, name) {
    if (!name || basename(name).toLowerCase() !== 'saved_model.pb') return false;
    return looksLikeMessage(head, SavedModelType, undefined, { minFields: 1, anyOf: [2] });
  },
  async analyse(input) {
    let model: SavedModel;
    try {
      model = await decodeStream<SavedModel>(input.stream, SavedModelType);
    } catch (error) {
      input.facts.push(protoFailure(error, 'SavedModel'));
      return;
    }
    input.facts.push(...describeSavedModel(model));
  },
};

function describeSavedModel(model: SavedModel): SavedModelFact[] {
  const ops = new Map<string, Extract<SavedModelFact, { kind: 'savedmodel-op' }>>();
  const library = new Set<string>();
  const tags = new Set<string>();
  let tensorflowVersion: string | undefined;
  let nodes = 0;
  let functions = 0;
  for (const meta of model.meta_graphs ?? []) {
    for (const fn of meta.graph_def?.library?.function ?? []) if (fn.signature?.name) library.add(fn.signature.name);
  }
  const visitScope = (list: readonly NodeDef[] | undefined, scope: string) => {
    const constants = new Map<string, string[]>();
    for (const node of list ?? []) {
      const strings = constantStrings(node);
      if (node.name && strings) constants.set(node.name, strings);
    }
    for (const node of list ?? []) {
      nodes++;
      const op = node.op ?? '';
      let fact = ops.get(op);
      if (!fact && ops.size < MAX_OP_FACTS) {
        fact = {
          kind: 'savedmodel-op',
          op,
          count: 0,
          node: node.name ?? '',
          scope,
          offset: node.$offset,
          libraryFunction: library.has(op),
          listedOnly: false,
          firstInputStrings: [],
        };
        ops.set(op, fact);
      }
      if (!fact) continue;
      fact.count++;
      const first = node.input?.[0];
      const source = first === undefined ? undefined : constants.get(first.replace(/^\^/, '').split(':')[0]);
      for (const value of source ?? []) {
        if (fact.firstInputStrings.length < MAX_STRINGS && !fact.firstInputStrings.includes(value)) {
          fact.firstInputStrings.push(value);
        }
      }
    }
  };
  for (const meta of model.meta_graphs ?? []) {
    for (const tag of meta.meta_info_def?.tags ?? []) tags.add(tag);
    tensorflowVersion ??= meta.meta_info_def?.tensorflow_version;
    visitScope(meta.graph_def?.node, 'graph');
    for (const fn of meta.graph_def?.library?.function ?? []) {
      functions++;
      visitScope(fn.node_def, `function ${fn.signature?.name ?? ''}`);
    }
    for (const listed of meta.meta_info_def?.stripped_op_list?.op ?? []) {
      const op = listed.name ?? '';
      if (ops.has(op) || ops.size >= MAX_OP_FACTS) continue;
      ops.set(op, {
        kind: 'savedmodel-op',
        op,
        count: 0,
        node: '',
        scope: 'stripped_op_list',
        offset: listed.$offset,
        libraryFunction: library.has(op),
        listedOnly: true,
        firstInputStrings: [],
      });
    }
  }
  return [
    {
      kind: 'savedmodel-graph',
      schemaVersion: model.saved_model_schema_version,
      metaGraphs: model.meta_graphs?.length ?? 0,
      tags: [...tags],
      tensorflowVersion,
      nodes,
      functions,
    },
    ...ops.values(),
  ];
}

/** The string values of a Const node (dtype DT_STRING), shortened; undefined for anything else. */
function constantStrings(node: NodeDef): string[] | undefined {
  if (node.op !== 'Const') return undefined;
  const tensor = node.attr?.find((entry) => entry.key === 'value')?.value?.tensor;
  if (tensor?.dtype !== DT_STRING || !tensor.string_val) return undefined;
  return tensor.string_val.slice(0, MAX_STRINGS).map((bytes) => {
    const text = new TextDecoder().decode(bytes);
    return text.length > MAX_STRING ? `${text.slice(0, MAX_STRING)}…` : text;
  });
}
