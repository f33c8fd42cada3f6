import { selectGraph, useStudio } from '../store';

export function Inspector() {
  const graph = useStudio(selectGraph);
  const selected = useStudio((s) => s.selectedNode);
  const node = graph?.nodes.find((n) => n.name === selected);
  return (
    <aside className="inspector" aria-label="Inspector">
      <h2>Inspector</h2>
      {!node && <p className="muted">Select a node to see its settings.</p>}
      {node && (
        <dl data-testid="inspector-node">
          <dt>Name</dt>
          <dd>{node.name}</dd>
          <dt>Type</dt>
          <dd>{node.type}</dd>
          {node.type === 'extension' && (
            <>
              <dt>Addon</dt>
              <dd>{node.addon}</dd>
              <dt>Extension group</dt>
              <dd>{node.extension_group ?? 'ten:unspecified_group'}</dd>
            </>
          )}
          <dt>Properties</dt>
          <dd>
            <pre aria-label="Node properties">{JSON.stringify(node.property ?? {}, null, 2)}</pre>
          </dd>
        </dl>
      )}
    </aside>
  );
}
