/** `assay lock` / `assay verify`: pin a folder, then catch every byte, file added and file removed since. */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareFiles, createLock, gitHeadCommit, parseLock, serializeLock } from '../../src/provenance/lock.js';
import { safetensors } from '../fixtures/safetensors-writer.js';
import { runAssay, tempFolder } from '../helpers.js';

const assay = (...args: string[]) => runAssay(args);

function model() {
  return {
    'config.json': JSON.stringify({ model_type: 'bert', hidden_size: 4 }),
    'model.safetensors': safetensors([{ name: 'w', shape: [2, 2], values: [1, 2, 3, 4] }]),
    'sub/notes.txt': 'hello\n',
  };
}

describe('assay lock and verify', () => {
  it('writes a lock inside the folder, excluded from its own list, and verifies unchanged with exit 0', async () => {
    const folder = await tempFolder(model());
    expect((await assay('lock', folder)).code).toBe(0);
    const lock = parseLock(await readFile(join(folder, 'assay.lock'), 'utf8'), 'assay.lock');
    expect(lock).toMatchObject({ lockVersion: 1, target: folder, kind: 'directory', commit: null });
    expect(lock.files.map((file) => file.path)).toEqual(['config.json', 'model.safetensors', 'sub/notes.txt']);
    expect(lock.files[1]).toMatchObject({ format: 'safetensors' });
    expect(Object.keys(JSON.parse(await readFile(join(folder, 'assay.lock'), 'utf8')))).toEqual([
      'lockVersion',
      'tool',
      'target',
      'kind',
      'commit',
      'createdAt',
      'files',
    ]);
    const verified = await assay('verify', folder);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('UNCHANGED');
  });

  it('names a modified byte, an added and a removed file, and exits 1 (text and JSON)', async () => {
    const folder = await tempFolder(model());
    const lockFile = join(await tempFolder({}), 'pinned.lock');
    expect((await assay('lock', folder, '--output', lockFile)).code).toBe(0);
    const bytes = await readFile(join(folder, 'model.safetensors'));
    bytes[bytes.length - 1] ^= 1;
    await writeFile(join(folder, 'model.safetensors'), bytes);
    await writeFile(join(folder, 'extra.py'), 'import os\n');
    await rm(join(folder, 'sub', 'notes.txt'));
    const text = await assay('verify', folder, '--lock', lockFile);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/added\s+extra\.py/);
    expect(text.stdout).toMatch(/removed\s+sub\/notes\.txt/);
    expect(text.stdout).toMatch(/changed\s+model\.safetensors: sha256/);
    expect(text.stdout).not.toMatch(/config\.json/);
    const json = await assay('verify', folder, '--lock', lockFile, '--format', 'json');
    expect(json.code).toBe(1);
    const result = JSON.parse(json.stdout);
    expect(result.status).toBe('changed');
    expect(result.added.map((file: { path: string }) => file.path)).toEqual(['extra.py']);
    expect(result.removed.map((file: { path: string }) => file.path)).toEqual(['sub/notes.txt']);
    expect(result.changed).toEqual([expect.objectContaining({ path: 'model.safetensors', fields: ['sha256'] })]);
  });

  it('exits 2 naming the lock file when it is missing or invalid', async () => {
    const folder = await tempFolder({ ...model(), 'bad.lock': '{"lockVersion": 7}' });
    const missing = await assay('verify', folder);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(join(folder, 'assay.lock'));
    expect(missing.stderr).toContain('assay lock');
    const invalid = await assay('verify', folder, '--lock', join(folder, 'bad.lock'));
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/bad\.lock is not a valid assay lock .*lockVersion/);
  });

  it('serializes with a stable key order whatever order the lock object was built in', () => {
    const files = [
      { path: 'b', size: 1, sha256: 'b'.repeat(64), format: 'text' },
      { format: 'json', sha256: 'a'.repeat(64), size: 2, path: 'a' },
    ];
    const lock = createLock({
      target: 'm',
      kind: 'directory',
      commit: null,
      createdAt: '2025-01-01T00:00:00.000Z',
      toolVersion: '0.1.0',
      files,
    });
    const text = serializeLock(lock);
    expect(text).toBe(serializeLock(parseLock(text, 'x')));
    expect(lock.files.map((file) => file.path)).toEqual(['a', 'b']);
    expect(text.indexOf('"path": "a"')).toBeLessThan(text.indexOf('"size": 2'));
    expect(compareFiles(lock.files, lock.files)).toEqual({ added: [], removed: [], changed: [] });
  });
});

describe('gitHeadCommit', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567';
  const other = 'fedcba9876543210fedcba9876543210fedcba98';

  it('reads a loose ref, packed-refs, a detached HEAD and a gitdir pointer without running git', async () => {
    const loose = await tempFolder({ '.git/HEAD': 'ref: refs/heads/main\n', '.git/refs/heads/main': `${sha}\n` });
    expect(await gitHeadCommit(loose)).toBe(sha);
    const packed = await tempFolder({
      '.git/HEAD': 'ref: refs/heads/release\n',
      '.git/packed-refs': `# pack-refs with: peeled fully-peeled sorted\n${other} refs/heads/release\n`,
    });
    expect(await gitHeadCommit(packed)).toBe(other);
    const detached = await tempFolder({ '.git/HEAD': `${sha}\n` });
    expect(await gitHeadCommit(detached)).toBe(sha);
    const worktree = await tempFolder({ 'real-git/HEAD': `${other}\n` });
    await mkdir(join(worktree, 'checkout'));
    await writeFile(join(worktree, 'checkout', '.git'), 'gitdir: ../real-git\n');
    expect(await gitHeadCommit(join(worktree, 'checkout'))).toBe(other);
    expect(await gitHeadCommit(await tempFolder({ 'a.txt': 'x' }))).toBeNull();
    expect(await gitHeadCommit(await tempFolder({ '.git/HEAD': 'ref: refs/heads/unborn\n' }))).toBeNull();
  });

  it('records the commit in the lock of a git checkout', async () => {
    const folder = await tempFolder({
      ...model(),
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.git/refs/heads/main': `${sha}\n`,
    });
    expect((await assay('lock', folder)).code).toBe(0);
    const lock = parseLock(await readFile(join(folder, 'assay.lock'), 'utf8'), 'assay.lock');
    expect(lock.commit).toBe(sha);
    expect(lock.files.some((file) => file.path.startsWith('.git'))).toBe(false);
  });
});
