import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listCachedModels } from '../../src/targets/hf-cache.js';
import { parseHubSpec, resolveHubTarget } from '../../src/targets/hub.js';
import { snapshotLocal } from '../../src/targets/local.js';
import { type HubServer, type HubServerOptions, startHubServer } from '../fixtures/hub-server.js';
import { tempFolder } from '../helpers.js';

const WEIGHTS = randomBytes(5000);
const MODEL_FILES = {
  'config.json': '{"model_type":"bert"}',
  'model.safetensors': WEIGHTS,
  'tokenizer/vocab.txt': 'hello\nworld\n',
};

const servers: HubServer[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const server of servers.splice(0)) await server.close();
});

async function hub(options: Partial<HubServerOptions> = {}, repos = ['org/tiny']) {
  const fixtures: HubServerOptions['repos'] = {};
  for (const repo of repos) fixtures[repo] = { folder: await tempFolder(MODEL_FILES) };
  const server = await startHubServer({ ...options, repos: fixtures });
  servers.push(server);
  return { server, cacheDir: await tempFolder({}) };
}

async function snapshotFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
}

describe('resolveHubTarget', () => {
  it('downloads a pinned commit into the Hugging Face cache layout and verifies it', async () => {
    const { server, cacheDir } = await hub({ pageSize: 2 });
    const commit = server.commit('org/tiny');
    const target = await resolveHubTarget(`hf://org/tiny@${commit}`, { endpoint: server.url, cacheDir });
    const repoFolder = join(cacheDir, 'models--org--tiny');
    expect(target).toEqual({
      folder: join(repoFolder, 'snapshots', commit),
      repo: 'org/tiny',
      revision: commit,
      commit,
      pinned: true,
      problems: [],
    });
    expect(await snapshotFiles(target.folder)).toEqual(['config.json', 'model.safetensors', 'tokenizer/vocab.txt']);
    expect(await readFile(join(target.folder, 'model.safetensors'))).toEqual(WEIGHTS);
    // Blobs are content-addressed: sha256 for LFS files, git blob sha1 otherwise.
    const weights = server.file('org/tiny', 'model.safetensors');
    const config = server.file('org/tiny', 'config.json');
    expect(weights.lfs).toBe(true);
    expect((await readdir(join(repoFolder, 'blobs'))).sort()).toEqual(
      [weights.sha256, config.gitSha1, server.file('org/tiny', 'tokenizer/vocab.txt').gitSha1].sort(),
    );
    expect(await readdir(repoFolder)).not.toContain('refs');
    // The listing was paged (Link: rel="next") and every file fetched once.
    expect(server.requests.filter((request) => request.path.includes('/tree/')).length).toBeGreaterThan(1);
    expect(server.requests.filter((request) => request.path.includes('/resolve/'))).toHaveLength(3);
    // The snapshot audits as an ordinary folder, with the Hub's digests.
    const snapshot = await snapshotLocal(target.folder);
    expect(snapshot.files.find((file) => file.path === 'model.safetensors')?.sha256).toBe(weights.sha256);
    expect(snapshot.artifacts.flatMap((artifact) => artifact.facts).map((fact) => fact.kind)).not.toContain(
      'symlink-escape',
    );
    // A second resolve is served from the verified cache.
    const again = await resolveHubTarget(`org/tiny@${commit}`, { endpoint: server.url, cacheDir });
    expect(again.problems).toEqual([]);
    expect(server.requests.filter((request) => request.path.includes('/resolve/'))).toHaveLength(3);
  });

  it('reports a branch as unpinned, writes refs/<branch>, and honours HF_ENDPOINT and HF_TOKEN', async () => {
    const { server, cacheDir } = await hub({ token: 'hf_secret' });
    vi.stubEnv('HF_ENDPOINT', server.url);
    vi.stubEnv('HF_TOKEN', 'hf_secret');
    const target = await resolveHubTarget('org/tiny', { cacheDir });
    expect(target).toMatchObject({ revision: 'main', pinned: false, commit: server.commit('org/tiny'), problems: [] });
    expect(await readFile(join(cacheDir, 'models--org--tiny', 'refs', 'main'), 'utf8')).toBe(target.commit);
    expect(server.requests.every((request) => request.authorization === 'Bearer hf_secret')).toBe(true);
    await expect(resolveHubTarget('org/tiny', { cacheDir, token: 'wrong' })).rejects.toThrow(/401/);
    await expect(resolveHubTarget('org/tiny@no-such-branch', { cacheDir })).rejects.toThrow(/404/);
  });

  it('detects a tampered byte: the file is reported and left out of the snapshot', async () => {
    const { server, cacheDir } = await hub({ tamper: ['model.safetensors', 'config.json'] });
    const target = await resolveHubTarget('hf://org/tiny@main', { endpoint: server.url, cacheDir });
    expect(target.problems).toEqual([
      { file: 'config.json', detail: expect.stringMatching(/^git blob sha1 mismatch/) },
      {
        file: 'model.safetensors',
        detail: expect.stringContaining(
          `sha256 mismatch: the Hub lists ${server.file('org/tiny', 'model.safetensors').sha256}`,
        ),
      },
    ]);
    expect(await snapshotFiles(target.folder)).toEqual(['tokenizer/vocab.txt']);
    expect(await readdir(join(cacheDir, 'models--org--tiny', 'blobs'))).toHaveLength(1);
  });

  it('resumes a download cut mid-body with a Range request', async () => {
    const { server, cacheDir } = await hub({ cutOnce: { path: 'model.safetensors', afterBytes: 1200 } });
    const target = await resolveHubTarget('org/tiny@main', { endpoint: server.url, cacheDir });
    expect(target.problems).toEqual([]);
    expect(await readFile(join(target.folder, 'model.safetensors'))).toEqual(WEIGHTS);
    const fetches = server.requests.filter((request) => request.path.endsWith('/model.safetensors'));
    expect(fetches.map((request) => request.range)).toEqual([undefined, 'bytes=1200-']);
  });

  it('resumes from an .incomplete file left by an earlier run', async () => {
    const { server, cacheDir } = await hub();
    const blobs = join(cacheDir, 'models--org--tiny', 'blobs');
    const sha256 = server.file('org/tiny', 'model.safetensors').sha256;
    await mkdir(blobs, { recursive: true });
    await writeFile(join(blobs, `${sha256}.incomplete`), WEIGHTS.subarray(0, 3000));
    const target = await resolveHubTarget('org/tiny', { endpoint: server.url, cacheDir });
    expect(target.problems).toEqual([]);
    expect(await readFile(join(blobs, sha256))).toEqual(WEIGHTS);
    expect((await lstat(join(target.folder, 'model.safetensors'))).isFile()).toBe(true);
    expect(
      server.requests.filter((request) => request.path.endsWith('/model.safetensors')).map((request) => request.range),
    ).toEqual(['bytes=3000-']);
  });

  it('rejects ids and revisions that could leave the cache folder', () => {
    expect(parseHubSpec('hf://org/name@refs/pr/1')).toEqual({ repo: 'org/name', revision: 'refs/pr/1' });
    expect(parseHubSpec('gpt2')).toEqual({ repo: 'gpt2', revision: 'main' });
    for (const bad of ['org/../x', 'org/a--b', 'a/b/c', 'org/name@../../x', 'org/name@', '/abs']) {
      expect(() => parseHubSpec(bad), bad).toThrow();
    }
  });
});

describe('listCachedModels', () => {
  it('lists three cached models, honouring HF_HUB_CACHE and HF_HOME', async () => {
    const repos = ['org/alpha', 'org/beta', 'other/gamma'];
    const { server } = await hub({}, repos);
    const home = await tempFolder({});
    const cacheDir = join(home, 'hub');
    for (const repo of repos) await resolveHubTarget(repo, { endpoint: server.url, cacheDir });
    await mkdir(join(cacheDir, 'datasets--org--data', 'snapshots', 'a'.repeat(40)), { recursive: true });
    const expected = repos.map((repo) => ({
      repo,
      commit: server.commit(repo),
      folder: join(cacheDir, `models--${repo.replace('/', '--')}`, 'snapshots', server.commit(repo)),
    }));
    expect(await listCachedModels(cacheDir)).toEqual(expected);
    vi.stubEnv('HF_HUB_CACHE', '');
    vi.stubEnv('HF_HOME', home);
    expect(await listCachedModels()).toEqual(expected);
    vi.stubEnv('HF_HUB_CACHE', cacheDir);
    vi.stubEnv('HF_HOME', '/nonexistent');
    expect(await listCachedModels()).toEqual(expected);
    expect(await listCachedModels(join(home, 'missing'))).toEqual([]);
  });
});
