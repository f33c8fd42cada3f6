export { Host, type HostOptions, type RequestContext } from './host';
export { modelPath, nodeFiles } from './files';
