import { useStudio } from '../store';

export function Sidebar({ onOpenExample }: { onOpenExample: (id: string) => void }) {
  const examples = useStudio((s) => s.examples);
  const current = useStudio((s) => (s.document?.origin.kind === 'example' ? s.document.origin.exampleId : null));
  return (
    <aside className="sidebar" aria-label="Palette">
      <h2>Examples</h2>
      <ul className="example-list">
        {examples.map((ex) => (
          <li key={ex.id}>
            <button
              type="button"
              className={ex.id === current ? 'active' : ''}
              aria-label={`Open example ${ex.title}`}
              aria-pressed={ex.id === current}
              title={ex.description}
              onClick={() => onOpenExample(ex.id)}
            >
              {ex.title}
            </button>
          </li>
        ))}
      </ul>
      <h2>Addons</h2>
      <p className="muted">The addon palette arrives with the graph editor.</p>
    </aside>
  );
}
