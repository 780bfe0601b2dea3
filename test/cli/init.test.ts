import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { loadPolicy } from '../../src/core/policy.js';
import { runAssay, tempFolder } from '../helpers.js';

describe('assay init', () => {
  it('writes a config and a policy that load as they are and point at existing JSON Schemas', async () => {
    const folder = await tempFolder({});
    const { code } = await runAssay(['init', folder]);
    expect(code).toBe(0);
    for (const name of ['assay.config.yaml', 'assay-policy.yaml']) {
      const path = join(folder, name);
      const schema = /^# yaml-language-server: \$schema=(.+)$/m.exec(readFileSync(path, 'utf8'))?.[1] as string;
      expect(existsSync(resolve(dirname(path), schema))).toBe(true);
    }
    const config = await loadConfig(join(folder, 'assay.config.yaml'));
    expect(config.models[0]).toMatchObject({ name: 'my-model', schedule: '0 3 * * *' });
    expect((await loadPolicy(join(folder, 'assay-policy.yaml'))).failOn).toBe('high');
  });

  it('never overwrites without --force', async () => {
    const folder = await tempFolder({ 'assay-policy.yaml': 'failOn: low\n' });
    const refused = await runAssay(['init', folder]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already exists; pass --force');
    expect(readFileSync(join(folder, 'assay-policy.yaml'), 'utf8')).toBe('failOn: low\n');
    expect((await runAssay(['init', folder, '--force', '-q'])).code).toBe(0);
    expect(readFileSync(join(folder, 'assay-policy.yaml'), 'utf8')).toContain('failOn: high');
  });
});
