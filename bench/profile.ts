/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time, and with the most
 * total (inclusive) time, each with its file:line (1-based, in dist/ when the profile was taken of dist/).
 *
 * Usage:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/cli/main.js scan bench/out/torch-2g.pt --quiet --no-progress
 *   npx tsx bench/profile.ts /tmp/prof/CPU.*.cpuprofile [--top 20]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function where(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return '';
  let path = frame.url;
  if (path.startsWith('file://')) path = relative(process.cwd(), fileURLToPath(path));
  return `${path}:${frame.lineNumber + 1}`;
}

function summarise(file: string, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const key = (node: ProfileNode) => `${node.callFrame.functionName || '(anonymous)'}\t${where(node.callFrame)}`;

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let sampled = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // A sample's duration is the delta to the next sample.
    const micros = profile.timeDeltas[i + 1] ?? 0;
    sampled += micros;
    const leaf = byId.get(profile.samples[i])!;
    self.set(key(leaf), (self.get(key(leaf)) ?? 0) + micros);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const k = key(byId.get(id)!);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + micros);
    }
  }
  const print = (title: string, table: Map<string, number>) => {
    console.log(`\n${title}`);
    console.log('     ms      %  function  (file:line)');
    for (const [k, micros] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      const [name, at] = k.split('\t');
      const share = ((100 * micros) / sampled).toFixed(1).padStart(5);
      console.log(`${(micros / 1000).toFixed(0).padStart(7)}  ${share}  ${name}  ${at}`);
    }
  };
  console.log(`${file}: ${(sampled / 1000).toFixed(0)} ms sampled`);
  print('top self time', self);
  print('top total time', total);
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 20;
for (const file of args.filter((arg, i) => !arg.startsWith('--') && i !== topAt + 1)) summarise(file, top);
