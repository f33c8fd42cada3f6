/** Where the shared TEN corpus lives for tests (read in place; never copied into the project). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const CORPUS = resolve(process.cwd(), '..', 'shared', 'ten-corpus');
export const HAS_CORPUS = existsSync(CORPUS);
export const GRAPH_CHECK = resolve(CORPUS, 'graph-check');
export const APPS = ['voice-assistant', 'voice-assistant-nodejs', 'transcription', 'websocket-example', 'http-control'] as const;
