export { Host, type HostOptions, type RequestContext } from './host';
