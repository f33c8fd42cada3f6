/** Types of compile_cache.mjs (plain JS so that the module hooks can use it without a compiler). */
export declare const DEFAULT_CACHE_DIR: string;
export declare function isTsPath(path: string): boolean;
export declare function compiledSource(cacheDir: string, path: string): Promise<string>;
export declare function warmCache(cacheDir: string, dirs: string[]): Promise<number>;
