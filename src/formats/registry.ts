/** The format plugins the analyser consults; each lives in its own module. */
import { chatTemplateInspector } from './chat-template.js';
import { dependencyInspector } from './dependencies.js';
import { ggufFormat } from './gguf.js';
import { kerasConfigInspector, kerasH5Format } from './keras.js';
import { licenceTextInspector } from './licence-text.js';
import { modelCardInspector } from './model-card.js';
import { modelConfigInspector } from './model-config.js';
import { onnxFormat } from './onnx.js';
import { parquetFormat, personalDataInspector } from './personal-data.js';
import type { BinaryFormat, TextInspector } from './plugins.js';
import { pythonCodeInspector } from './python-code.js';
import { safetensorsFormat } from './safetensors.js';
import { savedModelFormat } from './savedmodel.js';
import { secretsInspector } from './secrets.js';

export const BINARY_FORMATS: readonly BinaryFormat[] = [
  safetensorsFormat,
  ggufFormat,
  onnxFormat,
  kerasH5Format,
  savedModelFormat,
  parquetFormat,
];

export const TEXT_INSPECTORS: readonly TextInspector[] = [
  modelConfigInspector,
  modelCardInspector,
  licenceTextInspector,
  chatTemplateInspector,
  kerasConfigInspector,
  pythonCodeInspector,
  secretsInspector,
  dependencyInspector,
  personalDataInspector,
];
