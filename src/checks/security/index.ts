import type { ArtifactRule } from '../artifact-rule.js';
import { SAFETENSORS_RULES } from '../integrity/safetensors.js';
import {
  archiveBomb,
  archiveDamaged,
  archiveLink,
  archiveUnsafePath,
  numpyObjectArray,
  torchscriptCode,
} from './archives.js';
import { CHAT_TEMPLATE_RULES } from './chat-template.js';
import { extensionMismatch, symlinkEscape } from './files.js';
import { GGUF_RULES } from './gguf.js';
import { KERAS_RULES } from './keras.js';
import { notAnalysed } from './not-analysed.js';
import { ONNX_RULES } from './onnx.js';
import { embeddedPickle, payloadString } from './payloads.js';
import {
  pickleDangerousGlobal,
  pickleGlobalMutated,
  pickleUnknownGlobal,
  pickleUnresolvedGlobal,
} from './pickle-globals.js';
import { pickleExpansion, pickleFrameDesync, pickleMalformed, pickleTrailingBytes } from './pickle-structure.js';
import { PYTHON_CODE_RULES } from './python-code.js';
import { SAVEDMODEL_RULES } from './savedmodel.js';
import { SECRET_RULES } from './secrets.js';

/** The artifact-security rules, in no particular order (reports sort findings themselves). */
export const SECURITY_RULES: readonly ArtifactRule[] = [
  pickleDangerousGlobal,
  pickleUnknownGlobal,
  pickleUnresolvedGlobal,
  pickleGlobalMutated,
  pickleFrameDesync,
  pickleExpansion,
  pickleTrailingBytes,
  pickleMalformed,
  embeddedPickle,
  payloadString,
  archiveUnsafePath,
  archiveLink,
  archiveBomb,
  archiveDamaged,
  torchscriptCode,
  numpyObjectArray,
  extensionMismatch,
  symlinkEscape,
  notAnalysed,
  ...SAFETENSORS_RULES,
  ...ONNX_RULES,
  ...KERAS_RULES,
  ...SAVEDMODEL_RULES,
  ...CHAT_TEMPLATE_RULES,
  ...PYTHON_CODE_RULES,
  ...SECRET_RULES,
  ...GGUF_RULES,
];
