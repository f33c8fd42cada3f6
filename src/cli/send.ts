/**
 * `ten-studio send <uri> <cmd-name> [--graph G] [--ext E] [--prop JSON]`: a client of TEN's
 * msgpack protocol that sends one cmd to an app (ours or TEN's) and prints its result, matched
 * by `seq_id` (TEN gives every client cmd a fresh `cmd_id`, so that cannot be matched).
 */
import { parseJsonText, stringifyJson } from '../shared/json/text';
import { TenClient } from '../runtime/protocol/client';
import { TenMsg, tenLoc } from '../runtime/protocol';
import { parseMsgpackUri } from '../runtime/protocol/transport';
import { UsageError, intOption, type ParsedArgs } from './args';

export const SEND_VALUED = ['graph', 'ext', 'prop', 'timeout', 'retries'];

export async function send(args: ParsedArgs): Promise<number> {
  const [uri, name, ...extra] = args.positionals;
  if (!uri || !name) throw new UsageError('Name the app and the cmd: ten-studio send <uri> <cmd-name>.');
  if (extra.length) throw new UsageError(`Unexpected argument "${extra[0]}".`);
  for (const key of args.options.keys()) {
    if (!SEND_VALUED.includes(key) && key !== 'json') throw new UsageError(`Unknown option --${key}.`);
  }
  const parsed = parseMsgpackUri(uri);
  if ('error' in parsed) throw new UsageError(parsed.error);
  const graph = stringOption(args, 'graph');
  const ext = stringOption(args, 'ext');
  let props: Record<string, unknown> = {};
  const rawProp = args.options.get('prop');
  if (rawProp !== undefined) {
    if (typeof rawProp !== 'string') throw new UsageError('--prop needs a JSON object.');
    let value: unknown;
    try {
      value = parseJsonText(rawProp);
    } catch (e) {
      throw new UsageError(`--prop is not valid JSON: ${(e as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('--prop must be a JSON object.');
    props = value as Record<string, unknown>;
  }
  const timeoutS = intOption(args, 'timeout', 1, 86_400) ?? 30;
  const retries = intOption(args, 'retries', 0, 1000) ?? 0;
  const asJson = args.options.get('json') === true;

  const m = cmdFor(name, uri, graph, ext, props);
  let client: TenClient;
  try {
    client = await TenClient.connect(uri, {
      retries,
      intervalMs: 500,
      // Said once, so a user waiting for an app to come up knows what the client is doing.
      onRetry: (failed) => {
        if (failed === 1) process.stderr.write(`ten-studio send: ${uri} is not reachable yet; retrying every 0.5 s, up to ${retries} times.\n`);
      },
    });
  } catch (e) {
    process.stderr.write(`ten-studio send: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    if (m.type === 'close_app') {
      client.send(m);
      if (!asJson) process.stdout.write(`close_app sent to ${uri}.\n`);
      else process.stdout.write(`${JSON.stringify({ sent: 'close_app', uri })}\n`);
      return 0;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutS * 1000)));
    const result = await Promise.race([client.request(m), timeout]);
    clearTimeout(timer);
    if (result === null) {
      process.stderr.write(`ten-studio send: no result for '${name}' from ${uri} within ${timeoutS} s.\n`);
      return 1;
    }
    const ok = result.status === 0;
    const detail = typeof result.props.detail === 'string' ? result.props.detail : undefined;
    if (asJson) {
      process.stdout.write(`${stringifyJson({ status: ok ? 'OK' : 'ERROR', status_code: result.status, detail: detail ?? null, properties: result.props, src: result.src, seq_id: result.seqId })}\n`);
    } else {
      process.stdout.write(`${ok ? 'OK' : 'ERROR'}${detail !== undefined ? `: ${detail}` : ''}\n`);
      const rest = { ...result.props };
      delete rest.detail;
      if (Object.keys(rest).length > 0) process.stdout.write(`${stringifyJson(rest, 2)}\n`);
    }
    return ok ? 0 : 1;
  } finally {
    await client.close();
  }
}

function stringOption(args: ParsedArgs, key: string): string | undefined {
  const v = args.options.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`--${key} needs a value.`);
  return v;
}

/** The message for a cmd name: a custom cmd, or one of TEN's built-in cmds with its fields. */
function cmdFor(name: string, uri: string, graph: string | undefined, ext: string | undefined, props: Record<string, unknown>): TenMsg {
  const dest = tenLoc(uri, graph ?? null, ext ?? null);
  const str = (k: string): string => (typeof props[k] === 'string' ? (props[k] as string) : '');
  const without = (...keys: string[]): Record<string, unknown> => {
    const out = { ...props };
    for (const k of keys) delete out[k];
    return out;
  };
  switch (name) {
    case 'ten:start_graph': {
      const m = new TenMsg('start_graph', name);
      m.predefinedGraph = str('predefined_graph_name');
      m.graphJson = str('graph_json');
      if (!m.predefinedGraph && !m.graphJson) throw new UsageError('ten:start_graph needs --prop {"predefined_graph_name": "…"} or {"graph_json": "…"}.');
      m.longRunningMode = props.long_running_mode === true;
      m.props = without('predefined_graph_name', 'graph_json', 'long_running_mode');
      m.dests = [tenLoc(uri)];
      return m;
    }
    case 'ten:stop_graph': {
      const m = new TenMsg('stop_graph', name);
      m.graphId = str('graph_id') || graph || '';
      if (!m.graphId) throw new UsageError('ten:stop_graph needs --prop {"graph_id": "…"} (or --graph ID).');
      m.props = without('graph_id');
      m.dests = [tenLoc(uri)];
      return m;
    }
    case 'ten:close_app': {
      const m = new TenMsg('close_app', name);
      m.props = props;
      m.dests = [tenLoc(uri)];
      return m;
    }
    default: {
      if (name.startsWith('ten:')) throw new UsageError(`'${name}' is not a cmd a client sends (ten:start_graph, ten:stop_graph and ten:close_app are).`);
      const m = new TenMsg('cmd', name);
      m.props = props;
      m.dests = [dest];
      return m;
    }
  }
}
