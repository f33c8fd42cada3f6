/**
 * Validation latency after an edit, on a synthetic 500-node graph (issue 3: "under 50 ms").
 * Each sample applies one editing operation (alternately a property change and a connect /
 * disconnect) and then runs the whole check the editor runs: parse-time rules, pre-flatten static
 * checks, flattening, post-flatten checks, addons installed and schema compatibility.
 */
import {
  applyGraphEdit,
  buildCatalogue,
  checkGraph,
  parseJsonDocument,
  sourceOf,
  type CatalogueEntry,
  type GraphEdit,
  type TenConnection,
  type TenGraph,
} from '../src/shared';
import { collectGarbage, median, nowMs, quantile, report, round, rounds } from './lib/stats';

const NODES = 500;
const ADDONS = 10;
const EDITS_PER_ROUND = 60;
const ROUNDS = rounds();

const payload = { properties: { text: { type: 'string' }, seq: { type: 'int64' }, meta: { type: 'object', properties: { lang: { type: 'string' } } } } };
const entries: CatalogueEntry[] = Array.from({ length: ADDONS }, (_, a) => ({
  source: 'app',
  manifest: {
    type: 'extension',
    name: `addon_${a}`,
    version: '1.0.0',
    api: {
      property: { properties: { rate: { type: 'int32' }, name: { type: 'string' } } },
      cmd_in: [{ name: 'c', property: payload, result: { property: { properties: { ok: { type: 'bool' } } } } }],
      cmd_out: [{ name: 'c', property: payload, result: { property: { properties: { ok: { type: 'bool' } } } } }],
      data_in: [{ name: 'd', property: payload }, { name: 'e' }],
      data_out: [{ name: 'd', property: payload }, { name: 'e' }],
      audio_frame_in: [{ name: 'pcm' }],
      audio_frame_out: [{ name: 'pcm' }],
    },
  },
}));
const catalogue = buildCatalogue(entries);

function syntheticGraph(): TenGraph {
  const nodes = Array.from({ length: NODES }, (_, i) => ({
    type: 'extension' as const,
    name: `ext_${i}`,
    addon: `addon_${i % ADDONS}`,
    extension_group: `group_${i % 20}`,
    property: { rate: 16000, name: `node ${i}` },
  }));
  const connections: TenConnection[] = [];
  for (let i = 0; i < NODES - 1; i++) {
    const next = `ext_${i + 1}`;
    const conn: TenConnection = {
      extension: `ext_${i}`,
      cmd: [{ name: 'c', dest: [{ extension: next }] }],
      data: [{ names: ['d', 'e'], dest: [{ extension: next }, { extension: `ext_${(i * 7) % NODES}` }] }],
    };
    // Every tenth section also pulls audio with a reversed (`source`) flow.
    if (i % 10 === 0 && i > 0) conn.audio_frame = [{ name: 'pcm', source: [{ extension: `ext_${i - 1}` }] }];
    connections.push(conn);
  }
  return { nodes, connections };
}

// The graph goes through the located parser once, as a document opened from disk would.
const text = JSON.stringify(syntheticGraph(), null, 2);
const parsed = parseJsonDocument<TenGraph>(text, '/bench/graph.json');
if (!parsed.ok) throw new Error('synthetic graph does not parse');
const at = { src: sourceOf(parsed.doc), base: '' };

let graph = parsed.doc.value;
let step = 0;
function nextEdit(): GraphEdit {
  step++;
  const i = (step * 37) % (NODES - 2);
  if (step % 2 === 0) return { type: 'setProperty', node: `ext_${i}`, path: ['rate'], value: 8000 + step };
  const from = { extension: `ext_${i}` };
  const to = { extension: `ext_${(i + 250) % NODES}` };
  const existing = graph.connections?.find((c) => c.extension === from.extension)?.cmd?.find((f) => f.name === 'c')?.dest?.some((d) => d.extension === to.extension);
  return existing ? { type: 'disconnect', kind: 'cmd', name: 'c', from, to } : { type: 'connect', kind: 'cmd', name: 'c', from, to };
}

async function editAndValidate(): Promise<number> {
  const t0 = nowMs();
  const r = applyGraphEdit(graph, nextEdit());
  if (!r.ok) throw new Error(r.error);
  graph = r.doc;
  const checked = await checkGraph(graph, at, { catalogue });
  const t1 = nowMs();
  if (checked.diagnostics.length) throw new Error(`unexpected problems: ${checked.diagnostics[0]!.message}`);
  return t1 - t0;
}

for (let i = 0; i < 20; i++) await editAndValidate();
const roundMedians: number[] = [];
const all: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  collectGarbage();
  const samples: number[] = [];
  for (let i = 0; i < EDITS_PER_ROUND; i++) samples.push(await editAndValidate());
  roundMedians.push(median(samples));
  all.push(...samples);
}

report({
  suite: 'graph-validate',
  rounds: ROUNDS,
  nodes: NODES,
  connections: graph.connections?.length ?? 0,
  edit_then_validate_ms: {
    median: round(median(roundMedians), 2),
    p95: round(quantile(all, 0.95), 2),
    round_medians: roundMedians.map((v) => round(v, 2)),
  },
  budget_ms: 50,
});
process.exit(0);
