/**
 * The stand-in a user chose for a node (kept in the layout sidecar, per graph and node; see
 * `standin.ts`), and its check. Apart from `standin.ts` so that the HostApi contract needs nothing
 * heavier.
 */

/** Languages whose default behaviour a stand-in imitates. */
export type StandInLanguage = 'cpp' | 'python' | 'nodejs' | 'go';

export const STAND_IN_KINDS = ['interface', 'replay', 'transport'] as const;
export type StandInKind = (typeof STAND_IN_KINDS)[number];

/** The user's choice for one node (stored in the layout sidecar, per graph and node). */
export type StandInChoice =
  | {
      kind: 'interface';
      /** `default`: as the package's language answers by default; `schema`: OK with generated results. */
      answer?: 'default' | 'schema';
    }
  | {
      kind: 'replay';
      /** Absolute path of a recording (`ten-studio run --record`, or Save recording). */
      recording: string;
    }
  | {
      kind: 'transport';
      /** Frame length fed to the graph; default from the node's properties, else 10 ms. */
      frameMs?: 10 | 20;
    };

/** Checks a stand-in choice read from a sidecar or a request; an error text naming the field, or null. */
export function checkStandInChoice(v: unknown, path: string): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `expects "${path}" to be an object`;
  const o = v as Record<string, unknown>;
  const allowed: Record<StandInKind, string[]> = { interface: ['kind', 'answer'], replay: ['kind', 'recording'], transport: ['kind', 'frameMs'] };
  if (!STAND_IN_KINDS.includes(o.kind as StandInKind)) return `expects "${path}.kind" to be one of ${STAND_IN_KINDS.map((k) => `"${k}"`).join(', ')}`;
  const kind = o.kind as StandInKind;
  for (const k of Object.keys(o)) if (!allowed[kind].includes(k)) return `does not accept "${path}.${k}" for a ${kind} stand-in`;
  if (kind === 'interface' && o.answer !== undefined && o.answer !== 'default' && o.answer !== 'schema') return `expects "${path}.answer" to be "default" or "schema"`;
  if (kind === 'replay' && (typeof o.recording !== 'string' || !(o.recording.startsWith('/') || /^[A-Za-z]:[\\/]/.test(o.recording)))) return `expects "${path}.recording" to be an absolute path`;
  if (kind === 'transport' && o.frameMs !== undefined && o.frameMs !== 10 && o.frameMs !== 20) return `expects "${path}.frameMs" to be 10 or 20`;
  return null;
}
