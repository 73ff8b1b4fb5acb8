/**
 * `tsx bench/heap-retainers.ts <before.heapsnapshot> <after.heapsnapshot> <type> [calls] [rows] [depth]`: the
 * objects of one type (as bench/heap-by-type.ts names it: `array`, `object Object`, `closure …`) that
 * are new in the second snapshot, grouped by what holds them (the holder's type and the edge's name),
 * largest first. Heap object ids are stable within a process, so "new" is an id the first lacks.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Snapshot;

function keyOf(snap: Snapshot, at: number): string {
  const meta = snap.snapshot.meta;
  const width = meta.node_fields.length;
  const type = meta.node_types[0][snap.nodes[at * width + meta.node_fields.indexOf('type')]!]!;
  const name = snap.strings[snap.nodes[at * width + meta.node_fields.indexOf('name')]!]!;
  return type === 'object' || type === 'closure' || type === 'native' ? `${type} ${name.slice(0, 70)}` : type;
}

const [beforePath, afterPath, wanted, calls = '1', rows = '30', depthArg = '1'] = process.argv.slice(2) as [string, string, string, string?, string?, string?];
/** How many holders up the chain name a group: 2 tells apart the Objects whose `properties` hold an array. */
const depth = Number(depthArg);
const before = read(beforePath);
const idAt = before.snapshot.meta.node_fields.indexOf('id');
const width = before.snapshot.meta.node_fields.length;
const known = new Set<number>();
for (let i = 0; i < before.nodes.length; i += width) known.add(before.nodes[i + idAt]!);

const after = read(afterPath);
const meta = after.snapshot.meta;
const edgeWidth = meta.edge_fields.length;
const [edgeType, edgeName, edgeTo] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
const edgeCount = meta.node_fields.indexOf('edge_count');
const sizeAt = meta.node_fields.indexOf('self_size');
const edgeTypes = meta.edge_types[0];
const count = after.nodes.length / width;
// The first strong holder of each node, and the edge's name.
const holder = new Int32Array(count).fill(-1);
const via: string[] = new Array(count);
let e = 0;
for (let n = 0; n < count; n++) {
  const edges = after.nodes[n * width + edgeCount]!;
  for (let k = 0; k < edges; k++, e += edgeWidth) {
    const type = edgeTypes[after.edges[e + edgeType]!]!;
    if (type === 'weak' || type === 'shortcut') continue;
    const to = after.edges[e + edgeTo]! / width;
    if (holder[to] !== -1) continue;
    holder[to] = n;
    const name = after.edges[e + edgeName]!;
    via[to] = type === 'element' || type === 'hidden' ? `[${type}]` : String(after.strings[name]);
  }
}
const groups = new Map<string, { count: number; bytes: number }>();
for (let n = 0; n < count; n++) {
  if (known.has(after.nodes[n * width + idAt]!) || keyOf(after, n) !== wanted) continue;
  const chain: string[] = [];
  for (let at = n, d = 0; d < depth; d++) {
    const h = holder[at]!;
    if (h === -1) {
      chain.push('(root)');
      break;
    }
    chain.push(`${keyOf(after, h)} .${via[at]}`);
    at = h;
  }
  const key = chain.join(' ← ');
  const group = groups.get(key) ?? { count: 0, bytes: 0 };
  group.count++;
  group.bytes += after.nodes[n * width + sizeAt]!;
  groups.set(key, group);
}
const n = Number(calls);
const sorted = [...groups].sort((a, b) => b[1].bytes - a[1].bytes);
for (const [key, g] of sorted.slice(0, Number(rows)))
  process.stdout.write(`${(g.bytes / n).toFixed(0).padStart(8)} B/call ${(g.count / n).toFixed(1).padStart(7)} /call  held by ${key}\n`);
