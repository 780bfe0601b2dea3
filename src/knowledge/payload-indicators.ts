/**
 * Text that reads as a command or code payload. Found inside a model file's string constants it means the file
 * carries something a later step could run (a staged attack), even when loading the file runs nothing.
 */
export interface PayloadIndicator {
  id: string;
  pattern: RegExp;
  reason: string;
}

export const PAYLOAD_INDICATORS: readonly PayloadIndicator[] = [
  {
    id: 'os-call',
    pattern: /\bos\.(system|popen|exec[lv]p?e?|spawn\w*)\s*\(/,
    reason: 'calls the operating system shell',
  },
  {
    id: 'subprocess',
    pattern: /\bsubprocess\.(run|call|Popen|check_output|check_call|getoutput)\s*\(/,
    reason: 'starts a process',
  },
  { id: 'dynamic-import', pattern: /__import__\s*\(\s*['"]/, reason: 'imports a module from a string' },
  {
    id: 'eval-exec',
    pattern: /\b(eval|exec)\s*\(\s*(['"]|compile\(|base64|bytes|__import__)/,
    reason: 'evaluates code from a string',
  },
  {
    id: 'shell-pipe',
    pattern: /\b(curl|wget)\s+[^|;]*\|\s*(ba|z)?sh\b/,
    reason: 'downloads and pipes a script into a shell',
  },
  { id: 'shell', pattern: /\/bin\/(ba|z)?sh\b\s+-c\b/, reason: 'runs a shell command line' },
  { id: 'reverse-shell', pattern: /\/dev\/tcp\/|\bnc\s+-e\b|\bsocket\.socket\s*\(/, reason: 'opens a network shell' },
  { id: 'destructive', pattern: /\brm\s+-rf\s+\/(\s|$)/, reason: 'deletes the file system' },
  { id: 'powershell', pattern: /\bpowershell(\.exe)?\s+-(enc|e|c)\b/i, reason: 'runs an encoded PowerShell command' },
];

const ANY_INDICATOR = new RegExp(PAYLOAD_INDICATORS.map((indicator) => indicator.pattern.source).join('|'), 'i');

/** The indicators a string matches; a single combined test keeps the common no-match case cheap. */
export function matchPayloadIndicators(text: string): PayloadIndicator[] {
  if (!ANY_INDICATOR.test(text)) return [];
  return PAYLOAD_INDICATORS.filter((indicator) => indicator.pattern.test(text));
}
