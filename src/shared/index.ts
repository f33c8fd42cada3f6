export * from './graph/types';
export * from './ipc';
export * from './json/located';
export * from './json/clone';
export * from './json/text';
export * from './graph/diagnostics';
export * from './graph/check';
export * from './graph/document';
export * from './graph/flatten';
export * from './graph/packages';
export * from './graph/export';
export * from './graph/edit';
export * from './graph/validate';
export * from './schema/value-schema';
export * from './schema/document-validate';
export * from './manifest/manifest';
export * from './manifest/catalogue';
export {
  basenamePath,
  dirnamePath,
  joinPath,
  memoryFiles,
  normalizePath,
  resolveImportUri,
  type FileSource,
  type UriResolution,
} from './app/files';
export * from './app/app';
export * from './conformance/run';
export * from './manifest/language';
