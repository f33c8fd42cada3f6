import { describe, expect, it } from 'vitest';
import { applyGraphEdit, applyPropertyEdit, type GraphEdit, type TenAppProperty, type TenGraph } from '../../../src/shared';

const base = (): TenGraph => ({
  nodes: [
    { type: 'extension', name: 'a', addon: 'x', property: { keep: 1, deep: { v: 1 } } },
    { type: 'extension', name: 'b', addon: 'y', extension_group: 'g1' },
    { type: 'extension', name: 'c', addon: 'z' },
  ],
  connections: [
    { extension: 'a', cmd: [{ name: 'hello', dest: [{ extension: 'b' }, { extension: 'c' }] }], data: [{ name: 'd', dest: [{ extension: 'c' }] }] },
    { extension: 'c', cmd: [{ name: 'back', source: [{ extension: 'b' }] }] },
  ],
  exposed_messages: [{ type: 'cmd_in', name: 'hello', extension: 'a' }],
  custom_field: { kept: true },
});

/** Applies an edit, then its inverse, and checks both directions. */
function roundTrip(g: TenGraph, edit: GraphEdit): TenGraph {
  const before = JSON.stringify(g);
  const r = applyGraphEdit(g, edit);
  if (!r.ok) throw new Error(r.error);
  expect(JSON.stringify(g)).toBe(before);
  const undo = applyGraphEdit(r.doc, r.inverse);
  if (!undo.ok) throw new Error(undo.error);
  expect(undo.doc).toEqual(g);
  const redo = applyGraphEdit(undo.doc, undo.inverse);
  if (!redo.ok) throw new Error(redo.error);
  expect(redo.doc).toEqual(r.doc);
  return r.doc;
}

describe('graph edits are pure and invertible', () => {
  it('adds a node at an index', () => {
    const g = roundTrip(base(), { type: 'addNode', node: { type: 'extension', name: 'n', addon: 'q' }, index: 1 });
    expect(g.nodes!.map((n) => n.name)).toEqual(['a', 'n', 'b', 'c']);
  });

  it('removes a node with its section and every dest and source pointing at it', () => {
    const g = roundTrip(base(), { type: 'removeNode', name: 'c' });
    expect(g.nodes!.map((n) => n.name)).toEqual(['a', 'b']);
    expect(g.connections).toEqual([{ extension: 'a', cmd: [{ name: 'hello', dest: [{ extension: 'b' }] }] }]);
    const h = roundTrip(base(), { type: 'removeNode', name: 'b' });
    expect(h.connections![1]).toBeUndefined();
  });

  it('renames a node everywhere it is referenced', () => {
    const g = roundTrip(base(), { type: 'renameNode', from: 'c', to: 'c2' });
    expect(JSON.stringify(g)).not.toMatch(/"c"/);
    expect(g.connections![1]!.extension).toBe('c2');
    const e = roundTrip(base(), { type: 'renameNode', from: 'a', to: 'a2' });
    expect(e.exposed_messages).toEqual([{ type: 'cmd_in', name: 'hello', extension: 'a2' }]);
  });

  it('undoes a rename exactly even when the new name was already referenced (dangling)', () => {
    const g = base();
    g.connections![0]!.cmd![0]!.dest!.push({ extension: 'ghost' });
    const renamed = roundTrip(g, { type: 'renameNode', from: 'c', to: 'ghost' });
    expect(renamed.connections![0]!.cmd![0]!.dest).toEqual([{ extension: 'b' }, { extension: 'ghost' }, { extension: 'ghost' }]);
  });

  it('connects into an existing flow, a new flow, or a new section; disconnect cleans up', () => {
    const g1 = roundTrip(base(), { type: 'connect', kind: 'data', name: 'd', from: { extension: 'a' }, to: { extension: 'b' } });
    expect(g1.connections![0]!.data![0]!.dest).toEqual([{ extension: 'c' }, { extension: 'b' }]);
    const g2 = roundTrip(base(), { type: 'connect', kind: 'audio_frame', name: 'pcm', from: { extension: 'b' }, to: { extension: 'a' } });
    expect(g2.connections![2]).toEqual({ extension: 'b', audio_frame: [{ name: 'pcm', dest: [{ extension: 'a' }] }] });
    const g3 = roundTrip(base(), { type: 'disconnect', kind: 'data', name: 'd', from: { extension: 'a' }, to: { extension: 'c' } });
    expect(g3.connections![0]!.data).toBeUndefined();
  });

  it('sets and deletes nested properties, removing empty objects', () => {
    const g = roundTrip(base(), { type: 'setProperty', node: 'a', path: ['deep', 'w'], value: [1, 2] });
    expect(g.nodes![0]!.property).toEqual({ keep: 1, deep: { v: 1, w: [1, 2] } });
    const d = roundTrip(base(), { type: 'deleteProperty', node: 'a', path: ['deep', 'v'] });
    expect(d.nodes![0]!.property).toEqual({ keep: 1 });
    const n = roundTrip(base(), { type: 'setProperty', node: 'b', path: ['new'], value: 'x' });
    expect(n.nodes![1]!.property).toEqual({ new: 'x' });
  });

  it('moves a node to a group and back to the unspecified group', () => {
    const g = roundTrip(base(), { type: 'setGroup', node: 'a', group: 'g1' });
    expect(g.nodes![0]).toMatchObject({ extension_group: 'g1' });
    const u = roundTrip(base(), { type: 'setGroup', node: 'b', group: undefined });
    expect('extension_group' in u.nodes![1]!).toBe(false);
  });

  it.each<[GraphEdit, string]>([
    [{ type: 'addNode', node: { type: 'extension', name: 'a', addon: 'x' } }, "already exists"],
    [{ type: 'removeNode', name: 'zz' }, 'No node'],
    [{ type: 'renameNode', from: 'a', to: 'b' }, 'already exists'],
    [{ type: 'renameNode', from: 'a', to: '1bad' }, 'not a valid node name'],
    [{ type: 'connect', kind: 'cmd', name: 'hello', from: { extension: 'a' }, to: { extension: 'b' } }, 'already flows'],
    [{ type: 'disconnect', kind: 'cmd', name: 'nope', from: { extension: 'a' }, to: { extension: 'b' } }, 'No cmd'],
  ])('refuses %j', (edit, fragment) => {
    const r = applyGraphEdit(base(), edit);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });

  it('edits property.json graphs and adds/removes graphs with inverses', () => {
    const doc: TenAppProperty = { ten: { uri: 'x', predefined_graphs: [{ name: 'g', graph: base() }, { name: 'imp', graph: { import_uri: 'a.json' } }] }, other: 1 };
    const add = applyPropertyEdit(doc, { type: 'addGraph', entry: { name: 'h', graph: { nodes: [] } }, index: 0 });
    expect(add.ok && add.doc.ten!.predefined_graphs!.map((g) => g.name)).toEqual(['h', 'g', 'imp']);
    const rm = applyPropertyEdit(doc, { type: 'removeGraph', name: 'g' });
    if (!rm.ok) throw new Error(rm.error);
    const back = applyPropertyEdit(rm.doc, rm.inverse);
    expect(back.ok && back.doc).toEqual(doc);
    const ed = applyPropertyEdit(doc, { type: 'editGraph', graph: 'g', edit: { type: 'removeNode', name: 'a' } });
    if (!ed.ok) throw new Error(ed.error);
    expect(ed.doc.other).toBe(1);
    const undo = applyPropertyEdit(ed.doc, ed.inverse);
    expect(undo.ok && undo.doc).toEqual(doc);
    expect(applyPropertyEdit(doc, { type: 'editGraph', graph: 'imp', edit: { type: 'removeNode', name: 'a' } }).ok).toBe(false);
  });
});
