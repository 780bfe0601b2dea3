/**
 * TensorFlow graph operations that reach outside the tensor computation. Every entry carries the one-line reason.
 *
 * By TensorFlow convention the first input of each file op is the file name, pattern or checkpoint prefix; the
 * parser reports that input's constant strings, when it is a Const node, so rules can judge the path.
 */

export type TfOpRisk =
  /** Calls back into Python in the loading process. */
  | 'python'
  /** Reads or writes arbitrary files named by a tensor when the graph runs. */
  | 'file-read'
  | 'file-write'
  /** Lists files or reads them through datasets and readers (reconnaissance, data exfiltration). */
  | 'file-list'
  | 'dataset-io'
  /** Checkpoint save / restore: every SavedModel has them; only odd constant paths matter. */
  | 'checkpoint';

export interface TfOpEntry {
  op: string;
  risk: TfOpRisk;
  reason: string;
}

const e = (op: string, risk: TfOpRisk, reason: string): TfOpEntry => ({ op, risk, reason });

export const TF_RISKY_OPS: readonly TfOpEntry[] = [
  e('PyFunc', 'python', 'tf.py_function / tf.numpy_function: runs a Python callable registered in the process'),
  e('PyFuncStateless', 'python', 'stateless variant of PyFunc: runs a registered Python callable'),
  e('EagerPyFunc', 'python', 'tf.py_function in eager mode: runs a registered Python callable'),
  e('ReadFile', 'file-read', 'returns the whole content of any file named by its input'),
  e('WriteFile', 'file-write', 'writes its input string to any file named by its input'),
  e('ImmutableConst', 'file-read', 'memory-maps the file named in its memory_region_name attribute'),
  e('MatchingFiles', 'file-list', 'lists files matching a glob pattern'),
  e('MatchingFilesDataset', 'file-list', 'dataset of file names matching a glob pattern'),
  e('ExperimentalMatchingFilesDataset', 'file-list', 'older name of MatchingFilesDataset'),
  e('TFRecordDataset', 'dataset-io', 'reads TFRecord files named by its input'),
  e('TFRecordDatasetV2', 'dataset-io', 'reads TFRecord files named by its input'),
  e('FixedLengthRecordDataset', 'dataset-io', 'reads fixed-length records from files named by its input'),
  e('FixedLengthRecordDatasetV2', 'dataset-io', 'reads fixed-length records from files named by its input'),
  e('TextLineDataset', 'dataset-io', 'reads lines of files named by its input'),
  e('CSVDataset', 'dataset-io', 'reads CSV files named by its input'),
  e('ExperimentalCSVDataset', 'dataset-io', 'older name of CSVDataset'),
  e('SqlDataset', 'dataset-io', 'opens a database (SQLite file) named by its input and runs a query'),
  e('ExperimentalSqlDataset', 'dataset-io', 'older name of SqlDataset'),
  e('LMDBDataset', 'dataset-io', 'reads an LMDB database file'),
  e('LoadDataset', 'dataset-io', 'loads a saved dataset from a path'),
  e('WholeFileReader', 'dataset-io', 'queue reader returning whole files'),
  e('WholeFileReaderV2', 'dataset-io', 'queue reader returning whole files'),
  e('TextLineReader', 'dataset-io', 'queue reader returning lines of files'),
  e('TextLineReaderV2', 'dataset-io', 'queue reader returning lines of files'),
  e('SaveDataset', 'file-write', 'writes a dataset to a path'),
  e('SaveDatasetV2', 'file-write', 'writes a dataset to a path'),
  e('DatasetToTFRecord', 'file-write', 'writes a dataset to a TFRecord file named by its input'),
  e('CreateSummaryFileWriter', 'file-write', 'creates event files in a log folder named by its input'),
  e('Save', 'checkpoint', 'TF1 checkpoint writer'),
  e('SaveV2', 'checkpoint', 'checkpoint writer used by every SavedModel saver'),
  e('SaveSlices', 'checkpoint', 'TF1 checkpoint writer for slices'),
  e('Restore', 'checkpoint', 'TF1 checkpoint reader'),
  e('RestoreV2', 'checkpoint', 'checkpoint reader used by every SavedModel saver'),
  e('RestoreSlice', 'checkpoint', 'TF1 checkpoint reader for slices'),
  e('MergeV2Checkpoints', 'checkpoint', 'merges checkpoint shards and deletes the inputs'),
  e('ShardedFilename', 'checkpoint', 'builds checkpoint shard file names'),
  e('ShardedFilespec', 'checkpoint', 'builds checkpoint shard file patterns'),
];

export function tfRiskyOp(op: string): TfOpEntry | undefined {
  return TF_RISKY_OPS.find((entry) => entry.op === op);
}

/**
 * Custom kernels loaded with tf.load_op_library conventionally name their ops `Namespace>Op`
 * (TensorFlow Addons: `Addons>GeluGrad`, TF Text: `TFText>...`); no built-in op has `>` in its name.
 */
export function isNamespacedCustomOp(op: string): boolean {
  return op.includes('>');
}
