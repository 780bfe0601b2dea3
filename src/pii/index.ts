/** Personal-data detection for any text (shipped files, model outputs): see detect.ts. */

export { KIND_LABELS, PERSONAL_DATA_KINDS, type PersonalDataKind } from '../knowledge/privacy-pii.js';
export {
  DEFAULT_MAX_MATCHES,
  type DetectOptions,
  detectPersonalData,
  maskKeeping,
  type PersonalDataMatch,
  type PersonalDataScan,
} from './detect.js';
export { classifyIp, luhnValid, validateCard, validateIban, validateSsn } from './validators.js';
