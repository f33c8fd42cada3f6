export * from './graph/types';
export * from './ipc';
