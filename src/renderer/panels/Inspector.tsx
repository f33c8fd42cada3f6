import { useEffect, useMemo, useState } from 'react';
import { LANGUAGE_LABEL, UNSPECIFIED_GROUP, type TenNode, type TenValueSchema } from '../../shared';
import { graphToCanvas } from '../canvas/graphView';
import { deleteSelection, renameNode, replaceNodeProperty, setGroup, setNodeProperty } from '../editor/actions';
import { useEditor, type EditorState } from '../editor/editorStore';
import { describeType, fieldText, inputFor, parseField, parsePropertyObject, propertyObjectText } from '../editor/propertyForm';
import { selectGraph, useStudio, type StudioState } from '../store';
import { StandInEditor } from '../talk/standIns';

const selectSelected = (s: StudioState) => s.selectedNode;
const selectSelectedEdges = (s: StudioState) => s.selectedEdges;
const selectGraphName = (s: StudioState) => s.graphName;
const selectAddons = (s: EditorState) => s.addons;
const selectProblems = (s: EditorState) => s.problems;

export function Inspector() {
  const graph = useStudio(selectGraph);
  const selected = useStudio(selectSelected);
  const selectedEdges = useStudio(selectSelectedEdges);
  const node = graph?.nodes.find((n) => n.name === selected);
  const edge = !node && selectedEdges.length === 1 && graph ? graphToCanvas(graph).edges.find((e) => e.id === selectedEdges[0]) : undefined;
  return (
    <aside className="inspector" aria-label="Inspector">
      <h2>Inspector</h2>
      {!node && !edge && <p className="muted">Select a node to see and edit its settings.</p>}
      {node && <NodeInspector key={node.name} node={node} />}
      {edge && (
        <dl data-testid="inspector-edge">
          <dt>Connection</dt>
          <dd>
            {edge.kind} <b>{edge.msg}</b>
          </dd>
          <dt>From → to</dt>
          <dd>
            {edge.source} → {edge.target}
          </dd>
          <dd>
            <button type="button" aria-label="Delete connection" title="Delete (Delete key)" onClick={deleteSelection}>
              Delete connection
            </button>
          </dd>
        </dl>
      )}
    </aside>
  );
}

function NodeInspector({ node }: { node: TenNode }) {
  const addons = useEditor(selectAddons);
  const graphName = useStudio(selectGraphName);
  const problems = useEditor(selectProblems);
  const addon = node.type === 'extension' ? addons[node.addon] : undefined;
  const schema = addon?.propertySchema?.type === 'object' ? addon.propertySchema : undefined;
  const property = useMemo(() => (node.type === 'selector' ? {} : ((node.property ?? {}) as Record<string, unknown>)), [node]);
  const [raw, setRaw] = useState(false);
  const nodeProblems = problems.filter((p) => p.graph === graphName && p.node === node.name);
  const keys = useMemo(() => {
    const declared = Object.keys(schema?.properties ?? {});
    return [...declared, ...Object.keys(property).filter((k) => !declared.includes(k))];
  }, [schema, property]);

  return (
    <div data-testid="inspector-node" className="inspector-node">
      <dl>
        <dt>Type</dt>
        <dd>{node.type}</dd>
        {node.type === 'extension' && (
          <>
            <dt>Addon</dt>
            <dd>
              {node.addon} {addon ? <span className="muted-inline">{addon.source === 'app' ? '(app package)' : '(built-in)'}</span> : <span className="error-inline">(not installed)</span>}
            </dd>
            {addon?.language && (
              <>
                <dt>Language</dt>
                <dd data-testid="inspector-language">
                  {LANGUAGE_LABEL[addon.language]}{' '}
                  {addon.runsHere === false ? (
                    <span className="warning-inline" title={addon.cannotRun}>
                      (cannot run here: {addon.cannotRun})
                    </span>
                  ) : (
                    <span className="muted-inline">(runs here)</span>
                  )}
                </dd>
              </>
            )}
          </>
        )}
      </dl>
      {node.type === 'extension' && graphName !== null && <StandInEditor key={`${graphName}\u0000${node.name}`} graph={graphName} node={node.name} />}
      <CommitField label="Name" value={node.name} onCommit={(v) => renameNode(node.name, v.trim())} />
      {node.type === 'extension' && (
        <CommitField label="Extension group" value={node.extension_group ?? ''} placeholder={UNSPECIFIED_GROUP} onCommit={(v) => setGroup([node.name], v)} />
      )}
      {node.type !== 'selector' && (
        <section className="props" aria-label="Properties">
          <div className="props-head">
            <h3>Properties</h3>
            <button type="button" aria-pressed={raw} aria-label="Raw JSON mode" title="Edit the properties as JSON" onClick={() => setRaw(!raw)}>
              {raw ? 'Form' : 'JSON'}
            </button>
          </div>
          {raw ? (
            <RawProperties node={node.name} property={property} />
          ) : (
            <>
              {keys.length === 0 && <p className="muted">This addon declares no properties.</p>}
              {keys.map((k) => (
                <PropertyField
                  key={k}
                  node={node.name}
                  name={k}
                  schema={schema?.properties[k]}
                  required={schema?.required?.includes(k) ?? false}
                  value={property[k]}
                  fallback={addon?.defaultProperty?.[k]}
                  hostError={nodeProblems.find((p) => p.propertyPath === k || p.propertyPath?.startsWith(`${k}.`))?.message}
                />
              ))}
            </>
          )}
        </section>
      )}
      <div className="inspector-actions">
        <button
          type="button"
          aria-label={`Delete node ${node.name}`}
          title="Delete this node and its connections (Delete key; Undo brings it back)"
          onClick={() => {
            useStudio.getState().setSelection([node.name], []);
            deleteSelection();
          }}
        >
          Delete node
        </button>
      </div>
      {nodeProblems.length > 0 && (
        <ul className="inspector-problems" aria-label="Problems of this node">
          {nodeProblems.map((p) => (
            <li key={p.id} className="error">
              {p.code} {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A text field that applies its value on Enter or when it loses focus, showing the refusal if any. */
function CommitField({ label, value, placeholder, onCommit }: { label: string; value: string; placeholder?: string; onCommit: (v: string) => string | null }) {
  const [draft, setDraft] = useState(value);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setDraft(value), [value]);
  const commit = () => {
    if (draft === value) return;
    const problem = onCommit(draft);
    setError(problem);
    if (problem) setDraft(value);
  };
  return (
    <label className="field inspector-field">
      <span>{label}</span>
      <input aria-label={label} value={draft} placeholder={placeholder} onChange={(e) => setDraft(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === 'Enter' && commit()} />
      {error && <span className="error-inline">{error}</span>}
    </label>
  );
}

interface PropertyFieldProps {
  node: string;
  name: string;
  schema: TenValueSchema | undefined;
  required: boolean;
  value: unknown;
  fallback: unknown;
  hostError: string | undefined;
}

function PropertyField({ node, name, schema, required, value, fallback, hostError }: PropertyFieldProps) {
  const text = fieldText(value);
  const [draft, setDraft] = useState(text);
  useEffect(() => setDraft(text), [text]);
  const parsed = parseField(schema, draft);
  const kind = inputFor(schema);
  const commit = (next: string) => {
    const r = parseField(schema, next);
    // An invalid value is still applied: the problems panel then says what is wrong, as for any edit.
    const v = r.ok ? r.value : 'value' in r ? r.value : next;
    if (fieldText(v) === text && (v === undefined) === (value === undefined)) return;
    useEditor.getState().setNotice(setNodeProperty(node, name, v));
  };
  const missing = required && value === undefined;
  const error = !parsed.ok ? parsed.error : missing ? 'required' : hostError;
  const hint = `${describeType(schema)}${fallback !== undefined ? `; package default ${fieldText(fallback)}` : ''}`;
  return (
    <label className={`field prop-field${error ? ' invalid' : ''}`}>
      <span>
        {name}
        {required && <b title="required"> *</b>} <small className="muted-inline">{describeType(schema)}</small>
      </span>
      {kind === 'bool' ? (
        <select
          aria-label={name}
          value={draft === 'true' || draft === 'false' ? draft : draft === '' ? '' : 'other'}
          onChange={(e) => {
            setDraft(e.target.value);
            commit(e.target.value);
          }}
        >
          <option value="">{fallback !== undefined ? `(default: ${fieldText(fallback)})` : '(not set)'}</option>
          <option value="true">true</option>
          <option value="false">false</option>
          {draft !== '' && draft !== 'true' && draft !== 'false' && <option value="other">{draft}</option>}
        </select>
      ) : kind === 'json' ? (
        <textarea aria-label={name} value={draft} rows={2} placeholder={hint} aria-invalid={!!error} onChange={(e) => setDraft(e.target.value)} onBlur={() => commit(draft)} />
      ) : (
        <input
          aria-label={name}
          value={draft}
          inputMode={kind === 'number' ? 'decimal' : undefined}
          placeholder={fallback !== undefined ? fieldText(fallback) : hint}
          aria-invalid={!!error}
          title={hint}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => commit(draft)}
          onKeyDown={(e) => e.key === 'Enter' && commit(draft)}
        />
      )}
      {error && (
        <span className="error-inline" role="status" data-testid={`field-error-${name}`}>
          {error}
        </span>
      )}
    </label>
  );
}

function RawProperties({ node, property }: { node: string; property: Record<string, unknown> }) {
  const text = propertyObjectText(property);
  const [draft, setDraft] = useState(text);
  useEffect(() => setDraft(text), [text]);
  const parsed = parsePropertyObject(draft);
  return (
    <div className="raw-props">
      <textarea aria-label="Node properties (JSON)" value={draft} rows={10} spellCheck={false} aria-invalid={!parsed.ok} onChange={(e) => setDraft(e.target.value)} />
      {!parsed.ok && <span className="error-inline">{parsed.error}</span>}
      <button type="button" aria-label="Apply JSON" disabled={!parsed.ok || draft === text} onClick={() => parsed.ok && useEditor.getState().setNotice(replaceNodeProperty(node, parsed.value))}>
        Apply JSON
      </button>
    </div>
  );
}
