import type { ArtifactRule } from '../artifact-rule.js';
import {
  archiveBomb,
  archiveDamaged,
  archiveLink,
  archiveUnsafePath,
  numpyObjectArray,
  torchscriptCode,
} from './archives.js';
import { extensionMismatch, symlinkEscape } from './files.js';
import { notAnalysed } from './not-analysed.js';
import { embeddedPickle, payloadString } from './payloads.js';
import {
  pickleDangerousGlobal,
  pickleGlobalMutated,
  pickleUnknownGlobal,
  pickleUnresolvedGlobal,
} from './pickle-globals.js';
import { pickleExpansion, pickleFrameDesync, pickleMalformed, pickleTrailingBytes } from './pickle-structure.js';

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
];
