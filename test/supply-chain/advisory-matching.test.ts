/** OSV matching with exact PEP 440 semantics, on the real records in ../shared/data/osv/PyPI. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchDependency } from '../../src/checks/supply-chain/dependencies.js';
import { parseRequirement } from '../../src/formats/dependencies.js';
import { loadOsvDatabase, type OsvRecord } from '../../src/supply-chain/osv.js';
import { formatInterval, isAffected, matchSpecifier } from '../../src/supply-chain/pep440-match.js';
import { SHARED_DATA, tempFolder } from '../helpers.js';

const PYPI = join(SHARED_DATA, 'osv', 'PyPI');

async function record(id: string): Promise<OsvRecord> {
  return JSON.parse(await readFile(join(PYPI, `${id}.json`), 'utf8')) as OsvRecord;
}

function requirement(line: string) {
  const fact = parseRequirement(line, 'requirements', 1);
  if (!fact) throw new Error(`not a requirement: ${line}`);
  return fact;
}

const database = await loadOsvDatabase(PYPI);
const ids = (line: string) => matchDependency(database, requirement(line)).map((match) => match.group[0]?.id);

describe('pinned versions against real records', () => {
  it('matches pins inside the range and not outside it', () => {
    expect(ids('torch==1.13.0')).toEqual(['PYSEC-2022-43015']);
    expect(ids('torch==1.13.1')).toEqual([]);
    expect(ids('torch==2.0.0')).toEqual([]);
    expect(ids('transformers==4.35.2')).toEqual(['GHSA-37q5-v5qm-c9v8', 'GHSA-v68g-wm8c-6x7j']);
    expect(ids('transformers==4.36.0')).toEqual(['GHSA-37q5-v5qm-c9v8']);
    expect(ids('transformers==4.38.0')).toEqual([]);
    expect(ids('PyYAML==5.3.1')).toContain('PYSEC-2021-142');
  });

  it('orders pre-releases, dev releases and padded releases the PEP 440 way', async () => {
    expect(ids('transformers==4.36.0rc1')).toContain('GHSA-v68g-wm8c-6x7j');
    expect(ids('transformers==4.36.0.dev0')).toContain('GHSA-v68g-wm8c-6x7j');
    expect(ids('torch==1.13.1rc1')).toEqual(['PYSEC-2022-43015']);
    expect(ids('torch==1.13')).toEqual(['PYSEC-2022-43015']);
    // A fixed version that is itself a pre-release: pyyaml introduced 5.1, fixed 5.2b1.
    const pyyaml = (await record('PYSEC-2020-176')).affected?.[0] ?? {};
    expect(isAffected(pyyaml, '5.2a1')).toBe(true);
    expect(isAffected(pyyaml, '5.2b1')).toBe(false);
    expect(isAffected(pyyaml, '5.1')).toBe(true);
    expect(isAffected(pyyaml, '5.0.2')).toBe(false);
  });

  it('evaluates 2.6.0rc1 and 2.5.1+cu121 against a "< 2.6.0" torch range', async () => {
    const torch = await record('PYSEC-2022-43015');
    const affected = {
      ...torch.affected?.[0],
      versions: [],
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.6.0' }] }],
    };
    expect(isAffected(affected, '2.6.0rc1')).toBe(true);
    expect(isAffected(affected, '2.5.1+cu121')).toBe(true);
    expect(isAffected(affected, '2.6.0')).toBe(false);
    expect(isAffected(affected, '2.6.0+cu124')).toBe(false);
    // The real record: a local build of a fixed release is fixed, of an affected one affected.
    expect(ids('torch==1.13.0+cu117')).toEqual(['PYSEC-2022-43015']);
    expect(ids('torch==1.13.1+cu117')).toEqual([]);
  });

  it('honours last_affected inclusively, local versions included', async () => {
    const torch = await record('PYSEC-2022-43015');
    const affected = {
      ...torch.affected?.[0],
      versions: [],
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0.0' }, { last_affected: '2.5.1' }] }],
    };
    expect(isAffected(affected, '2.5.1')).toBe(true);
    expect(isAffected(affected, '2.5.1+cu121')).toBe(true);
    expect(isAffected(affected, '2.5.2')).toBe(false);
    expect(isAffected(affected, '1.13.0')).toBe(false);
    const match = matchSpecifier('>=2.4', affected);
    expect(match.kind === 'unpinned' && match.subRanges.map((interval) => formatInterval(interval))).toEqual([
      '>=2.4, <=2.5.1',
    ]);
  });

  it('uses the versions list when a record has no ECOSYSTEM range', async () => {
    const torch = await record('PYSEC-2022-43015');
    const affected = { ...torch.affected?.[0], ranges: [] };
    expect(isAffected(affected, '1.12.1')).toBe(true);
    expect(isAffected(affected, '1.12.2')).toBe(false);
  });
});

describe('unpinned ranges', () => {
  it('reports the affected sub-range of the allowed range, never the lowest version', () => {
    const [match] = matchDependency(database, requirement('transformers>=4.30,<4.40'));
    expect(match?.pinned).toBeUndefined();
    const all = matchDependency(database, requirement('transformers>=4.30,<4.40')).map((m) => [
      m.group[0]?.id,
      m.affectedRanges,
    ]);
    expect(all).toEqual([
      ['GHSA-37q5-v5qm-c9v8', ['>=4.30, <4.38.0']],
      ['GHSA-v68g-wm8c-6x7j', ['>=4.30, <4.36.0']],
    ]);
    expect(ids('transformers>=4.38')).toEqual([]);
    expect(ids('transformers~=4.37.0')).toEqual(['GHSA-37q5-v5qm-c9v8']);
    const any = matchDependency(database, requirement('torch'));
    expect(any.map((m) => m.affectedRanges)).toEqual([['<1.13.1']]);
  });
});

describe('database loading', () => {
  it('loads all.zip through the zip reader with the same records as the folder', async () => {
    const zipped = await loadOsvDatabase(join(PYPI, 'all.zip'));
    expect(zipped.size).toBe(database.size);
    // 374 files: one (PYSEC-2022-43059) is a real withdrawn record and is skipped.
    expect(zipped.size).toBe(373);
    expect(zipped.withdrawn).toEqual(['PYSEC-2022-43059']);
    expect(zipped.recordsFor('PyPI', 'Torch').map((r) => r.id)).toEqual(['PYSEC-2022-43015']);
  });

  it('skips withdrawn records', async () => {
    const torch = await record('PYSEC-2022-43015');
    const folder = await tempFolder({
      'PYSEC-2022-43015.json': JSON.stringify({ ...torch, withdrawn: '2024-01-01T00:00:00Z' }),
      'GHSA-v68g-wm8c-6x7j.json': await readFile(join(PYPI, 'GHSA-v68g-wm8c-6x7j.json'), 'utf8'),
    });
    const db = await loadOsvDatabase(folder);
    expect(db.withdrawn).toEqual(['PYSEC-2022-43015']);
    expect(matchDependency(db, requirement('torch==1.13.0'))).toEqual([]);
    expect(matchDependency(db, requirement('transformers==4.35.0'))).toHaveLength(1);
  });

  it('deduplicates records that alias each other into one match naming every id', async () => {
    const ghsa = await record('GHSA-v68g-wm8c-6x7j');
    const folder = await tempFolder({
      'GHSA-v68g-wm8c-6x7j.json': JSON.stringify(ghsa),
      // The same vulnerability as a PYSEC record would carry it: other id, aliases pointing at the GHSA and the CVE.
      'PYSEC-2023-999.json': JSON.stringify({
        ...ghsa,
        id: 'PYSEC-2023-999',
        aliases: ['CVE-2023-7018', 'GHSA-v68g-wm8c-6x7j'],
      }),
    });
    const db = await loadOsvDatabase(folder);
    const matches = matchDependency(db, requirement('transformers==4.35.0'));
    expect(matches).toHaveLength(1);
    expect(matches[0]?.group.map((r) => r.id)).toEqual(['GHSA-v68g-wm8c-6x7j', 'PYSEC-2023-999']);
  });
});
