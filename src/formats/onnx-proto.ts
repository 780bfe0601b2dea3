/**
 * Our own subset of onnx.proto (IR version 10/11 field numbers), written by hand from the published schema, and the
 * shapes the streaming decoder of protobuf.ts produces for it.
 */
import { type Decoded, protoRoot } from './protobuf.js';

const ONNX_SCHEMA = `
syntax = "proto2";
package onnx;

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message TensorProto {
  enum DataLocation {
    DEFAULT = 0;
    EXTERNAL = 1;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  optional string doc_string = 12;
  repeated StringStringEntryProto external_data = 13;
  optional DataLocation data_location = 14;
  repeated StringStringEntryProto metadata_props = 16;
}

message SparseTensorProto {
  optional TensorProto values = 1;
  optional TensorProto indices = 2;
  repeated int64 dims = 3;
}

message AttributeProto {
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  optional string doc_string = 13;
  optional int32 type = 20;
  optional string ref_attr_name = 21;
  optional SparseTensorProto sparse_tensor = 22;
  repeated SparseTensorProto sparse_tensors = 23;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  optional string domain = 7;
  optional string overload = 8;
  repeated StringStringEntryProto metadata_props = 9;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated SparseTensorProto sparse_initializer = 15;
  repeated StringStringEntryProto metadata_props = 16;
}

message TrainingInfoProto {
  optional GraphProto initialization = 1;
  optional GraphProto algorithm = 2;
}

message FunctionProto {
  optional string name = 1;
  repeated string input = 4;
  repeated string output = 5;
  repeated string attribute = 6;
  repeated NodeProto node = 7;
  optional string doc_string = 8;
  repeated OperatorSetIdProto opset_import = 9;
  optional string domain = 10;
  repeated AttributeProto attribute_proto = 11;
  optional string overload = 13;
  repeated StringStringEntryProto metadata_props = 14;
}

message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
  repeated TrainingInfoProto training_info = 20;
  repeated FunctionProto functions = 25;
}
`;

export const ONNX_ROOT = protoRoot(ONNX_SCHEMA);
export const ModelProtoType = ONNX_ROOT.lookupType('onnx.ModelProto');

// ---- decoded shapes (what the decoder produces for the ONNX subset) -------------------------------------------

export interface StringStringEntry extends Decoded {
  key?: string;
  value?: string;
}
export interface OperatorSetId extends Decoded {
  domain?: string;
  version?: number;
}
export interface Tensor extends Decoded {
  name?: string;
  data_type?: number;
  dims?: number[];
  data_location?: number;
  external_data?: StringStringEntry[];
}
export interface SparseTensor extends Decoded {
  values?: Tensor;
  indices?: Tensor;
}
export interface Attribute extends Decoded {
  name?: string;
  type?: number;
  s?: Uint8Array;
  strings?: Uint8Array[];
  t?: Tensor;
  g?: Graph;
  tensors?: Tensor[];
  graphs?: Graph[];
  sparse_tensor?: SparseTensor;
  sparse_tensors?: SparseTensor[];
}
export interface Node extends Decoded {
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: Attribute[];
}
export interface Graph extends Decoded {
  name?: string;
  node?: Node[];
  initializer?: Tensor[];
  sparse_initializer?: SparseTensor[];
}
export interface TrainingInfo extends Decoded {
  initialization?: Graph;
  algorithm?: Graph;
}
export interface OnnxFunction extends Decoded {
  name?: string;
  domain?: string;
  node?: Node[];
  opset_import?: OperatorSetId[];
}
export interface Model extends Decoded {
  ir_version?: number;
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: number;
  graph?: Graph;
  opset_import?: OperatorSetId[];
  metadata_props?: StringStringEntry[];
  training_info?: TrainingInfo[];
  functions?: OnnxFunction[];
}
