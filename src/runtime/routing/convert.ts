/** TEN's `msg_conversion` (`per_property`), applied to the copy of a message for one destination. */
import { getProp, setProp, type PropObject } from '../core/props';
import type { WireMsg } from '../core/wire';

interface ConversionRule {
  path?: string;
  conversion_mode?: string;
  value?: unknown;
  original_path?: string;
}

/** Rewrites `c` (name and properties) by a `per_property` conversion; anything else is ignored. */
export function convertMsg(c: WireMsg, conversion: unknown): void {
  const mc = conversion as { type?: unknown; rules?: unknown; keep_original?: unknown } | null;
  if (!mc || mc.type !== 'per_property' || !Array.isArray(mc.rules)) return;
  const orig = c.props;
  const props: PropObject = mc.keep_original === true ? structuredClone(orig) : {};
  for (const r of mc.rules as ConversionRule[]) {
    if (typeof r?.path !== 'string') continue;
    const v = r.conversion_mode === 'fixed_value' ? r.value : getProp(orig, r.original_path ?? r.path);
    if (r.path === 'ten.name') {
      if (typeof v === 'string') c.name = v;
      continue;
    }
    if (v !== undefined) setProp(props, r.path, structuredClone(v));
  }
  c.props = props;
  // The TEN types a message from another app came with stay on the paths kept as they were;
  // properties built anew are typed by inference.
  if (mc.keep_original !== true) c.propTypes = null;
}

/** The `result` rules of a msg_conversion, if any. */
export function resultConversion(conversion: unknown): unknown {
  return conversion !== null && typeof conversion === 'object' ? (conversion as { result?: unknown }).result : undefined;
}
