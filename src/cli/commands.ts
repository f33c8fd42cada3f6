/**
 * What each `ten-studio` command accepts, in one table: the parser refuses any option not listed
 * here (naming it), and `--help` prints the command's usage from the same entries, so the help
 * cannot drift from what the command takes.
 */

export interface OptionSpec {
  /** The long name, without the dashes. */
  name: string;
  /** The value's placeholder (`NAME`, `FILE`); absent for a flag that takes no value. */
  value?: string;
  /** The value is optional and only given as `--name=VALUE` (`--name` alone is the flag). */
  optional?: true;
  help: string;
}

export interface CommandSpec {
  name: string;
  /** The arguments after the command's name, as the usage line shows them. */
  args: string;
  /** One line for the command list of `ten-studio --help`. */
  summary: string;
  options: readonly OptionSpec[];
  /** Further paragraphs: exit codes, examples. */
  details?: string;
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'serve',
    args: '[--port N]',
    summary: 'Start browser mode on 127.0.0.1 and print the URL (with its token).',
    options: [{ name: 'port', value: 'N', help: 'Listen on this port (0 or absent: a free one). A fixed port keeps the layout stored by the page across restarts.' }],
    details: 'Open the printed URL (it carries the access token). Stop with Ctrl-C.',
  },
  {
    name: 'run',
    args: '<app-dir | property.json> [options]',
    summary: 'Run a graph headless; exit 0 only when it ended cleanly.',
    options: [
      { name: 'graph', value: 'NAME', help: 'Start this predefined graph (default: the auto_start ones).' },
      { name: 'duration', value: 'S', help: 'Stop after S seconds (default: run until Ctrl-C or until the graphs stop).' },
      { name: 'events', value: 'FILE.jsonl', help: 'Write every runtime event to FILE as JSON lines.' },
      { name: 'record', value: 'FILE', help: 'Write a recording (events, metrics) the studio opens and `ten-studio trace` converts.' },
      { name: 'trace', value: 'EDGES', help: 'With --record: trace messages on EDGES (all, or src>dest, src>, >dest separated by commas).' },
      { name: 'trace-sample', value: 'N', help: 'With --trace: keep one traced message in N.' },
      { name: 'trace-payloads', help: 'With --trace: keep what each traced message carried, so a replay stand-in can send it again.' },
      {
        name: 'stand-in',
        value: 'NODE=KIND,…',
        help: 'Run nodes as stand-ins: interface, interface:schema, transport, transport:20, replay:FILE (besides those in the layout sidecar).',
      },
      { name: 'audio-in', value: 'FILE.wav', help: "Talk to the graph: feed this WAV through its local transport (the RTC node's stand-in) in real time." },
      { name: 'audio-out', value: 'FILE.wav', help: 'Write the audio the graph sends back, as a listener hears it (16-bit mono).' },
      { name: 'audio-tail', value: 'S', help: 'With --audio-in: end S seconds after the input was fed and the answer went quiet (default 3).' },
      { name: 'violation-policy', value: 'fail|report|abort', help: 'What a thread-check violation does (default: fail, the run exits non-zero).' },
      { name: 'start-timeout', value: 'S', help: "Fail the start when an extension's creation or a start phase takes longer (default: 60)." },
      { name: 'stop-timeout', value: 'S', help: 'End a group whose extensions have not closed S seconds after the stop (default: 5).' },
      {
        name: 'python-debug',
        value: 'PORT',
        optional: true,
        help: 'Debug the Python extensions with debugpy, as TEN_ENABLE_PYTHON_DEBUG=true: each Python process waits for a debugger, the first on PORT (default: TEN_PYTHON_DEBUG_PORT, else 5678), the others on the next free ports; each address is printed.',
      },
    ],
    details:
      'A node that cannot run here (its language, no entry file, not installed) and has no stand-in\n' +
      'refuses the run before anything starts, each such node named with its reason.\n' +
      'A signal (Ctrl-C, SIGTERM) stops the run at any point, its start included; started by npm or\n' +
      "npx, it also stops when that parent ends. SIGHUP reopens the files of the app's ten.log\n" +
      'handlers (log rotation), as TEN does; it does not stop the run.\n\n' +
      'Exit codes: 0 the run ended cleanly, 1 it failed (a node that cannot run, a start failure, an\n' +
      'error, a violation under the fail policy, a leak after close), 2 a usage mistake, 130\n' +
      'interrupted twice.\n\n' +
      'Examples: ten-studio run resources/examples/hello-pipeline --duration 5 --record run.json\n' +
      '          ten-studio run resources/examples/voice-loop --audio-in question.wav --audio-out answer.wav',
  },
  {
    name: 'trace',
    args: '<recording.json> --out <trace.json>',
    summary: 'Convert a recording to Chrome trace JSON (open it in Perfetto).',
    options: [{ name: 'out', value: 'FILE', help: 'Where to write the trace (replaced if it exists). Required.' }],
    details: 'Open the trace in https://ui.perfetto.dev or chrome://tracing.',
  },
  {
    name: 'validate',
    args: '<app-dir | property.json | graph.json | manifest.json> [options]',
    summary: 'Check TEN files; exit 0 valid, 1 invalid, 2 unreadable.',
    options: [
      { name: 'graph', value: 'NAME', help: 'Check only this predefined graph.' },
      { name: 'json', help: 'Print the result as one JSON object ({valid, errors: [...]}).' },
      { name: 'packages', value: 'DIR[,DIR]', help: 'More package folders to resolve addons from (an app folder only).' },
      { name: 'no-builtins', help: "Check against the app's own packages only, without the studio's built-in addons." },
    ],
    details: 'Exit codes: 0 valid, 1 invalid (each problem printed with its file, line and column), 2 unreadable input or a usage mistake.',
  },
  {
    name: 'flatten',
    args: '<app-dir | property.json | graph.json> [options]',
    summary: 'Print the flattened graph (what the runtime runs) as JSON.',
    options: [
      { name: 'graph', value: 'NAME', help: 'The predefined graph to flatten (required when there are several).' },
      { name: 'packages', value: 'DIR[,DIR]', help: 'More package folders to resolve addons from (an app folder only).' },
      { name: 'no-builtins', help: "Resolve addons from the app's own packages only." },
    ],
    details: 'Exit codes: 0 printed, 1 the graph has errors, 2 unreadable input or a usage mistake.',
  },
  {
    name: 'app',
    args: '<app-dir | property.json> [options]',
    summary: "Run an app as TEN's app binary does: listen on its ten.uri, serve clients and other apps.",
    options: [
      { name: 'events', value: 'FILE.jsonl', help: 'Write every runtime event to FILE as JSON lines (/dev/fd/N: to that descriptor).' },
      { name: 'violation-policy', value: 'fail|report|abort', help: 'What a thread-check violation does (default: fail, exit non-zero).' },
      { name: 'long-running', help: 'Stay up without graphs (as ten.long_running_mode: true), and keep the auto_start graphs when a client leaves.' },
      { name: 'control', value: 'FILE', help: 'With --events: read control lines from FILE (/dev/fd/N: that descriptor): {"tracing": {edges, sampleEvery} | null} turns message tracing on or off, its steps written to the events as {"trace": …}.' },
      { name: 'metrics-ms', value: 'MS', help: 'With --events: also write a sample of the app\'s counters every MS ms, as lines {"sample": …} (what the studio shows).' },
    ],
    details:
      'Listens on ten.uri (msgpack://host:port/; loopback unless the address names another), starts the\n' +
      "auto_start graphs, serves start_graph, cmds and close_app from clients and other apps (TEN's msgpack\n" +
      'protocol, docs/protocol.md), and prints its runtime events and connections.\n\n' +
      'It exits on close_app, on Ctrl-C, or when its last graph ends, unless ten.long_running_mode is true\n' +
      'in property.json or --long-running is given. As in TEN, a graph ends when a client that joined it\n' +
      'disconnects (ten-studio send included) unless the graph is long-running.\n\n' +
      'Exit codes: 0 it closed cleanly, 1 something went wrong (a graph failed, a violation under fail or\n' +
      'abort, a leak after close), 2 a usage mistake or an address it cannot listen on.',
  },
  {
    name: 'send',
    args: '<uri> <cmd-name> [options]',
    summary: "Send one cmd to an app over TEN's msgpack protocol and print its result.",
    options: [
      { name: 'graph', value: 'G', help: "The graph: its id, or a singleton predefined graph's name (started on demand)." },
      { name: 'ext', value: 'E', help: 'The extension in that graph. Without --graph and --ext the cmd goes to the app.' },
      { name: 'prop', value: 'JSON', help: "The cmd's properties, a JSON object (integers beyond 2^53 keep every digit)." },
      { name: 'json', help: 'Print the result as one JSON object (status, detail, properties, src).' },
      { name: 'timeout', value: 'S', help: 'Seconds to wait for the result (default 30).' },
      { name: 'retries', value: 'N', help: 'Connect attempts after the first fails, every 500 ms (default 0).' },
    ],
    details:
      '<uri> is msgpack://host:port/; a studio app (ten-studio app) and a TEN app both answer. The result\n' +
      'is matched to the cmd by seq_id.\n\n' +
      'Built-in cmds: ten:start_graph (--prop {"predefined_graph_name": …} or {"graph_json": "…"},\n' +
      'optionally "long_running_mode": true; the graph ends when this client disconnects unless it is\n' +
      'long-running), ten:stop_graph (--prop {"graph_id": …}), ten:close_app (no result: exits 0 once sent).\n\n' +
      'Exit codes: 0 the result is OK, 1 it is ERROR or none came, 2 a usage mistake or the app cannot be\n' +
      'reached.\n\n' +
      'Example: ten-studio send msgpack://127.0.0.1:8001/ hello --graph default --ext echo --prop \'{"n": 1}\'',
  },
  {
    name: 'conformance',
    args: '<dir>',
    summary: 'Run <dir>/cases.json (ten-corpus graph-check format); exit 1 on any failure.',
    options: [],
    details: 'Prints one line per failing case, then `N passed, N failed`. Exit codes: 0 all passed, 1 some failed, 2 the folder cannot be read.',
  },
  {
    name: 'test',
    args: '<package-dir> [options] [test framework args…]',
    summary: "Run a TEN package's own tests on this runtime, as its tests/bin/start would; exit 0 iff all pass.",
    options: [
      { name: 'no-install', help: 'Node.js: never run npm install: name the dependencies that do not resolve and fail.' },
      { name: 'system', value: 'DIR[,DIR]', help: 'Python: folders of TEN system packages (ten_ai_base, pytest_ten…), or packages, to put on the path.' },
      { name: 'python', value: 'EXE', help: 'Python: the interpreter (default: TEN_STUDIO_PYTHON, else python3).' },
    ],
    details:
      "Node.js packages: sets up the standalone app .ten/app with ten-studio's ten-runtime-nodejs as\n" +
      'ten_runtime_nodejs, then npm run build and npm test in tests/ (mocha).\n' +
      'Python packages: lays out the .ten/app that `tman install --standalone` creates (in a temporary\n' +
      "folder), puts each system package's interface/ folder on PYTHONPATH and runs\n" +
      "`python -m pytest -s tests/` in the package folder with the caller's environment (PYTEST_ADDOPTS\n" +
      'included).\n' +
      'Any other argument after the folder goes to the test framework (`--` ends ours). Prints the\n' +
      "runner's own output and exits with its code: 0 all passed, 1 a setup step failed, 2 a usage\n" +
      'mistake (no manifest.json, a language without a runner).\n\n' +
      'Example: ten-studio test ten_packages/extension/my_tts_python -k flush',
  },
  {
    name: 'runtime-package',
    args: '[options]',
    summary: 'Build the installable ten-runtime-nodejs package and print its folder.',
    options: [
      { name: 'out', value: 'DIR', help: 'Build into DIR (default: out/ten-runtime-nodejs of this checkout, where its dependencies resolve).' },
      { name: 'force', help: 'Build even when nothing changed since the last build.' },
    ],
    details:
      "JavaScript plus .d.ts, laid out as TEN's (main build/index.js, manifest of ten_runtime_nodejs).\n" +
      'Install it with npm install <printed folder>, or link it as <app>/ten_packages/system/ten_runtime_nodejs.',
  },
];

export function commandSpec(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Long names of the options that take a value. */
export function valuedOptions(spec: CommandSpec): string[] {
  return spec.options.filter((o) => o.value !== undefined && !o.optional).map((o) => o.name);
}

/** `ten-studio <command> --help`. */
export function commandUsage(spec: CommandSpec): string {
  const rows = [
    ...spec.options.map((o) => [`--${o.name}${o.value ? (o.optional ? `[=${o.value}]` : ` ${o.value}`) : ''}`, o.help] as const),
    ['-h, --help', 'Show this help.'] as const,
  ];
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = [`Usage: ten-studio ${spec.name} ${spec.args}`, '', spec.summary, '', 'Options:'];
  for (const [left, help] of rows) lines.push(`  ${left.padEnd(width)}${help}`);
  if (spec.details) lines.push('', spec.details);
  return `${lines.join('\n')}\n`;
}

/** `ten-studio --help`. */
export function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const lines = ['Usage: ten-studio <command> [options]', '', 'Commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(width)}${c.summary}`);
  lines.push(`  ${'help'.padEnd(width)}Show this text, or \`help <command>\` for one command's usage.`);
  lines.push('', "Every command answers --help with its own usage, e.g. 'ten-studio run --help'.");
  return `${lines.join('\n')}\n`;
}
