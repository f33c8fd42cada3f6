export * from './contract';
export * from './runs';
export * from './errors';
export * from './wire';
export * from './client';
export * from './docsync';
export * from './logLevels';
