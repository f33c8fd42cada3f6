/**
 * Structural JSON Schemas (draft-07, for ajv) of TEN's files: app/extension `property.json`,
 * `manifest.json`, interface files and `manifest-lock.json`. Written for this project from the
 * rules TEN enforces; TEN's own schema files are not shipped here. Small builders keep the
 * repeated shapes (identifiers, "exactly one of extension/subgraph/selector") readable.
 */

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const bool: Schema = { type: 'boolean' };
const arrayOf = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra });
/** A closed object: only the listed keys are allowed. */
const closed = (properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...(required.length ? { required } : {}),
  ...extra,
});
const requires = (...keys: string[]): Schema => ({ required: keys });
/** Exactly one of `keys` is present. */
const exactlyOneKey = (keys: string[]): Schema => ({
  oneOf: keys.map((k) => ({ required: [k], not: { anyOf: keys.filter((o) => o !== k).map((o) => requires(o)) } })),
});
const IDENT_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
const LOCALE_PATTERN = '^[a-z]{2}(-[A-Z]{2})?$';
const importUri: Schema = str({ minLength: 1, anyOf: [{ format: 'uri-reference' }, { pattern: '^\\$\\{app_base_dir\\}.*$' }] });

const common: Record<string, Schema> = {
  ident: str({ minLength: 1, pattern: IDENT_PATTERN }),
  nonEmpty: str({ minLength: 1 }),
};

/** User property values: strings, numbers, booleans, objects and arrays of those (no null). */
const propertyValueDefs: Record<string, Schema> = {
  propValue: {
    anyOf: [
      { type: 'string' },
      { type: 'number' },
      { type: 'object', ...ref('propObject') },
      { type: 'array', items: ref('propValue') },
      { type: 'boolean' },
    ],
  },
  propObject: { type: 'object', additionalProperties: ref('propValue') },
};

// ---- property.json ------------------------------------------------------------------------

const msgConversion: Schema = closed(
  {
    type: str({ enum: ['per_property'] }),
    keep_original: bool,
    rules: arrayOf(
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          path: str({ pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\[\\d+\\])*(\\.[A-Za-z_][A-Za-z0-9_]*(\\[\\d+\\])*)*$' }),
          conversion_mode: str({ enum: ['fixed_value', 'from_original'] }),
          value: { oneOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'number' }] },
          original_path: ref('nonEmpty'),
        },
        allOf: [
          {
            if: { properties: { conversion_mode: { const: 'fixed_value' } }, required: ['conversion_mode'] },
            then: { required: ['value'], not: requires('original_path') },
            else: {
              if: { properties: { conversion_mode: { const: 'from_original' } }, required: ['conversion_mode'] },
              then: { required: ['original_path'], not: requires('value') },
            },
          },
        ],
      },
      { minItems: 1 },
    ),
    result: ref('msgConversion'),
  },
  ['type', 'rules'],
);

const locProps = {
  app: ref('nonEmpty'),
  extension: ref('ident'),
  subgraph: ref('ident'),
  selector: ref('ident'),
};

/** A flow end: an extension (optionally in another app), a subgraph, or a selector. */
const flowEnd = (withConversion: boolean): Schema => {
  const conv: Record<string, Schema> = withConversion ? { msg_conversion: {} } : {};
  return {
    type: 'object',
    additionalProperties: false,
    properties: { ...locProps, ...(withConversion ? { msg_conversion: ref('msgConversion') } : {}) },
    oneOf: [
      closed({ app: {}, extension: {}, ...conv }, ['extension']),
      closed({ subgraph: {}, ...conv }, ['subgraph']),
      // A selector stands for several connections, so a conversion on it would be ambiguous.
      closed({ selector: {} }, ['selector']),
    ],
  };
};

const flowList: Schema = arrayOf({
  type: 'object',
  additionalProperties: false,
  properties: {
    name: ref('ident'),
    names: arrayOf(ref('ident')),
    dest: arrayOf(ref('msgDest'), { minItems: 1 }),
    source: arrayOf(ref('msgSource'), { minItems: 1 }),
  },
  anyOf: [requires('name'), requires('names')],
  oneOf: [requires('dest'), requires('source')],
  // One flow for several names cannot carry one conversion.
  if: requires('names'),
  then: { properties: { dest: arrayOf({ type: 'object', not: requires('msg_conversion') }) } },
});

const graphNode: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'name'],
  properties: {
    type: str({ enum: ['extension', 'subgraph', 'selector'] }),
    name: ref('ident'),
    addon: ref('ident'),
    app: ref('nonEmpty'),
    extension_group: ref('ident'),
    graph: closed({ import_uri: importUri }, ['import_uri']),
    filter: ref('filter'),
    property: ref('propObject'),
  },
  oneOf: [
    closed({ type: { const: 'extension' }, name: {}, addon: {}, extension_group: {}, app: {}, property: {} }, ['type', 'name', 'addon']),
    closed({ type: { const: 'subgraph' }, name: {}, graph: {}, property: {} }, ['type', 'name', 'graph']),
    closed({ type: { const: 'selector' }, name: {}, filter: {} }, ['type', 'name', 'filter']),
  ],
};

const exposedRef = (extra: Record<string, Schema>, required: string[]): Schema => ({
  ...closed({ ...extra, extension: ref('ident'), subgraph: ref('ident') }, required),
  ...exactlyOneKey(['extension', 'subgraph']),
});

const graphContent: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    import_uri: importUri,
    nodes: arrayOf(graphNode),
    connections: arrayOf({ ...closed({ ...locProps, cmd: flowList, data: flowList, audio_frame: flowList, video_frame: flowList }), ...exactlyOneKey(['extension', 'subgraph', 'selector']) }),
    exposed_messages: arrayOf(
      exposedRef(
        {
          type: str({ enum: ['cmd_in', 'cmd_out', 'data_in', 'data_out', 'audio_frame_in', 'audio_frame_out', 'video_frame_in', 'video_frame_out'] }),
          name: ref('ident'),
        },
        ['type', 'name'],
      ),
    ),
    exposed_properties: arrayOf(exposedRef({ name: ref('ident') }, ['name'])),
  },
  // A graph is either imported or written inline, never both.
  oneOf: [
    { required: ['import_uri'], not: { anyOf: ['nodes', 'connections', 'exposed_messages', 'exposed_properties'].map((k) => requires(k)) } },
    { not: requires('import_uri') },
  ],
};

const logLevel: Schema = { type: 'integer', enum: [1, 2, 3, 4, 5, 6] };
const encryption: Schema = closed({
  enabled: bool,
  algorithm: str({ enum: ['AES-CTR'] }),
  params: {
    if: { properties: { algorithm: { const: 'AES-CTR' } }, required: ['algorithm'] },
    then: closed({ key: str(), nonce: str() }, ['key', 'nonce']),
    else: { type: 'object' },
  },
});
const emitterConfig = (type: string, properties: Record<string, Schema>, required: string[]): Schema => ({
  if: { properties: { type: { const: type } } },
  then: { properties: { config: { additionalProperties: false, properties, ...(required.length ? { required } : {}) } } },
});
const headers: Schema = { type: 'object', patternProperties: { '^[A-Za-z0-9_-]+$': str() }, additionalProperties: false };
const logConfig: Schema = closed({
  handlers: arrayOf(
    closed(
      {
        matchers: arrayOf(closed({ level: str({ enum: ['off', 'debug', 'info', 'warn', 'error'] }), category: str({ minLength: 1 }) }), { minItems: 1 }),
        formatter: closed({ type: str({ enum: ['plain', 'json'] }), colored: bool }, ['type']),
        emitter: {
          ...closed({ type: str({ enum: ['console', 'file', 'otlp'] }), config: { type: 'object' } }, ['type', 'config']),
          allOf: [
            emitterConfig('console', { stream: str({ enum: ['stdout', 'stderr'] }), encryption }, ['stream']),
            emitterConfig('file', { path: str({ minLength: 1 }), encryption }, ['path']),
            emitterConfig('otlp', { endpoint: str({ minLength: 1 }), protocol: str({ enum: ['grpc', 'http'] }), headers, service_name: str({ minLength: 1 }) }, ['endpoint']),
          ],
        },
      },
      ['matchers', 'formatter', 'emitter'],
    ),
    { minItems: 1 },
  ),
});
const int64: Schema = { type: 'integer' };
const metricsExporter: Schema = {
  ...closed({ type: str({ enum: ['prometheus', 'otlp', 'console'] }), config: { type: 'object' } }, ['type']),
  allOf: [
    emitterConfig('prometheus', { endpoint: str({ pattern: '^[^:]+:[0-9]+$' }), path: str({ pattern: '^/.*$' }), service_name: str({ minLength: 1 }) }, []),
    emitterConfig('otlp', { endpoint: str({ minLength: 1 }), protocol: str({ enum: ['grpc', 'http'] }), headers, service_name: str({ minLength: 1 }) }, []),
    emitterConfig('console', {}, []),
  ],
};

const tenSection: Schema = {
  type: 'object',
  properties: {
    uri: str({ format: 'uri', minLength: 1, not: { const: 'localhost' } }),
    log_level: logLevel,
    log_file: ref('nonEmpty'),
    deprecated_log: closed({ level: logLevel, file: ref('nonEmpty'), encryption }),
    long_running_mode: bool,
    one_event_loop_per_engine: bool,
    addon: closed({ preload_all: bool }),
    services: closed({
      telemetry: closed({ enabled: bool, metrics: closed({ enabled: bool, exporter: metricsExporter }) }),
      api: closed({ enabled: bool, host: str(), port: { type: 'integer', minimum: 1, maximum: 65535 } }),
    }),
    path_timeout: { oneOf: [int64, { type: 'object', properties: { in_path: int64, out_path: int64 } }] },
    path_check_interval: int64,
    predefined_graphs: arrayOf(
      closed({ name: ref('ident'), auto_start: bool, singleton: bool, sync_stop_before_deinit: bool, graph: graphContent }, ['name']),
    ),
    log: logConfig,
  },
};

/** Schema of a `property.json` (app or extension). */
export const PROPERTY_SCHEMA: Schema = {
  definitions: {
    ...common,
    ...propertyValueDefs,
    msgConversion,
    msgDest: flowEnd(true),
    msgSource: flowEnd(false),
    filter: {
      oneOf: [
        closed({ field: str(), operator: str({ enum: ['exact', 'regex'] }), value: str({ minLength: 1 }) }, ['field', 'operator', 'value']),
        closed({ and: arrayOf(ref('filter'), { minItems: 1 }) }, ['and']),
        closed({ or: arrayOf(ref('filter'), { minItems: 1 }) }, ['or']),
      ],
    },
  },
  type: 'object',
  // `_ten` is the section's name before TEN 0.9; both are accepted.
  properties: { ten: tenSection, _ten: tenSection },
  additionalProperties: ref('propValue'),
};

// ---- manifest.json and interface files -------------------------------------------------------

const localizedText: Schema = closed(
  {
    locales: {
      type: 'object',
      propertyNames: str({ pattern: LOCALE_PATTERN }),
      patternProperties: {
        [LOCALE_PATTERN]: {
          ...closed({ content: str({ minLength: 1 }), import_uri: importUri }),
          oneOf: [requires('content'), requires('import_uri')],
        },
      },
      additionalProperties: false,
      minProperties: 1,
    },
  },
  ['locales'],
);

const valueType: Schema = {
  ...closed(
    {
      type: str({ enum: ['bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float32', 'float64', 'string', 'buf', 'ptr', 'array', 'object'] }),
      description: { oneOf: [str(), ref('localizedText')] },
      items: ref('valueType'),
      properties: ref('valueProperties'),
      required: arrayOf(str(), { minItems: 1 }),
    },
    ['type'],
  ),
  // `items` belongs to arrays only and `properties` to objects only.
  allOf: [
    { if: { properties: { type: { const: 'array' } }, required: ['type'] }, then: { required: ['items'], not: requires('properties') } },
    { if: { properties: { type: { const: 'object' } }, required: ['type'] }, then: { required: ['properties'], not: requires('items') } },
    { if: { not: { properties: { type: { const: 'array' } } }, required: ['type'] }, then: { not: requires('items') } },
    { if: { not: { properties: { type: { const: 'object' } } }, required: ['type'] }, then: { not: requires('properties') } },
  ],
};

const propertyBlock = (extra: Schema = {}): Schema =>
  closed({ properties: { ...ref('valueProperties'), ...extra }, required: arrayOf(str(), { minItems: 1 }) });

const apiDefs: Record<string, Schema> = {
  localizedText,
  valueType,
  valueProperties: {
    type: 'object',
    propertyNames: ref('ident'),
    patternProperties: { [IDENT_PATTERN]: ref('valueType') },
    additionalProperties: false,
  },
  cmdApi: closed(
    {
      name: ref('ident'),
      property: propertyBlock(),
      result: closed({ property: propertyBlock({ minProperties: 1 }) }, ['property']),
    },
    ['name'],
  ),
  // Data-like messages leave unknown keys open (TEN's schema does too).
  dataApi: { type: 'object', required: ['name'], properties: { name: ref('ident'), property: propertyBlock() } },
  api: closed({
    interface: arrayOf(closed({ import_uri: importUri }, ['import_uri'])),
    property: propertyBlock(),
    cmd_in: arrayOf(ref('cmdApi')),
    cmd_out: arrayOf(ref('cmdApi')),
    data_in: arrayOf(ref('dataApi')),
    data_out: arrayOf(ref('dataApi')),
    audio_frame_in: arrayOf(ref('dataApi')),
    audio_frame_out: arrayOf(ref('dataApi')),
    video_frame_in: arrayOf(ref('dataApi')),
    video_frame_out: arrayOf(ref('dataApi')),
  }),
};

const packageType = str({ enum: ['app', 'extension', 'system', 'protocol', 'addon_loader'] });
const dependencies: Schema = arrayOf({
  oneOf: [
    closed({ path: str({ minLength: 1 }) }, ['path']),
    closed(
      {
        type: packageType,
        name: ref('ident'),
        version: str({
          pattern: '^(?:\\^|~|>|<|>=|<=|=)?\\d+(?:\\.\\d+)?(?:\\.\\d+)?(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$',
        }),
      },
      ['type', 'name', 'version'],
    ),
  ],
});
const SEMVER = '^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$';
const supportItem: Schema = { type: 'object', properties: { os: str({ enum: ['linux', 'win', 'mac'] }), arch: str({ enum: ['x86', 'x64', 'arm', 'arm64'] }) } };

/** Schema of a package `manifest.json`. */
export const MANIFEST_SCHEMA: Schema = {
  definitions: { ...common, ...apiDefs },
  ...closed(
    {
      type: packageType,
      name: ref('ident'),
      version: str({ pattern: SEMVER }),
      description: ref('localizedText'),
      display_name: ref('localizedText'),
      readme: ref('localizedText'),
      tags: arrayOf(str({ pattern: '^(ten:)?[A-Za-z_][A-Za-z0-9_]*$' })),
      dependencies,
      dev_dependencies: dependencies,
      api: ref('api'),
      supports: arrayOf(supportItem),
      package: closed({ include: arrayOf(str()) }),
      scripts: { type: 'object', propertyNames: ref('ident'), additionalProperties: str() },
    },
    ['type', 'name', 'version'],
  ),
  // An app's manifest may declare only its own property schema, not messages.
  if: { properties: { type: { const: 'app' } } },
  then: { properties: { api: closed({ property: closed({ properties: ref('valueProperties'), required: arrayOf(str(), { minItems: 1 }) }) }) } },
};

/** Schema of an interface file imported through `api.interface[].import_uri`. */
export const INTERFACE_SCHEMA: Schema = { definitions: { ...common, ...apiDefs }, ...ref('api') };

const packageIdentity: Schema = {
  type: 'object',
  properties: { type: str({ enum: ['extension', 'system', 'protocol', 'addon_loader'] }), name: str() },
  required: ['type', 'name'],
};

/** Schema of `manifest-lock.json`. */
export const MANIFEST_LOCK_SCHEMA: Schema = {
  ...closed(
    {
      packages: {
        type: 'array',
        uniqueItems: true,
        items: {
          type: 'object',
          allOf: [
            packageIdentity,
            {
              type: 'object',
              properties: {
                version: str({ pattern: SEMVER }),
                hash: str({ pattern: '^[a-f0-9]{64}$' }),
                dependencies: arrayOf(packageIdentity, { minItems: 1, uniqueItems: true }),
                supports: arrayOf(supportItem),
                path: str({ minLength: 1 }),
              },
              required: ['version', 'hash'],
            },
          ],
        },
      },
      version: { type: 'integer', minimum: 1 },
    },
    ['packages', 'version'],
  ),
};
