/** The report formats, apart from their renderers: the CLI names them at start-up without loading a renderer. */
export const OUTPUT_FORMATS = ['text', 'json', 'sarif', 'html', 'md', 'junit', 'cyclonedx', 'spdx'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The usual file extension for each format, for callers that name output files. */
export const OUTPUT_EXTENSIONS: Readonly<Record<OutputFormat, string>> = {
  text: '.txt',
  json: '.json',
  sarif: '.sarif',
  html: '.html',
  md: '.md',
  junit: '.junit.xml',
  cyclonedx: '.cdx.json',
  spdx: '.spdx.json',
};

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/** `assay drift` writes the standard report, in the human formats and JSON. */
export const DRIFT_FORMATS = ['text', 'json', 'html', 'md'] as const;
