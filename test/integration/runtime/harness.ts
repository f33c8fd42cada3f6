// Shared helpers for runtime integration tests: an App over the fixture packages, collected
// runtime events and probe reports, event-driven waits (no timed assertions), leak checks.
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { App, type AppLiveCounts, type AppOptions, type RuntimeEvent } from '../../../src/runtime';
import type { TenGraph, TenExtensionNode, TenConnection } from '../../../src/shared/graph/types';

export const FIXTURE_APP = resolve(import.meta.dirname, '../../fixtures/runtime/app');

export interface ProbeReport {
  ext: string;
  kind: string;
  [field: string]: unknown;
}

type Waiter = { check: () => boolean; resolve: () => void };

export class Harness {
  readonly app: App;
  readonly events: RuntimeEvent[] = [];
  readonly reports: ProbeReport[] = [];
  private readonly channel = new BroadcastChannel('ten-runtime-test');
  private waiters: Waiter[] = [];

  constructor(opts: Partial<AppOptions> = {}) {
    this.app = new App({ appDir: FIXTURE_APP, ...opts });
    this.app.onEvent((ev) => {
      this.events.push(ev);
      // Python probes (test/fixtures/python) report as log events of category `probe`.
      if (ev.type === 'log' && ev.category === 'probe' && ev.fields && typeof ev.fields === 'object') {
        this.reports.push({ ext: ev.extension, ...(ev.fields as { kind: string }) });
      }
      this.poke();
    });
    this.channel.onmessage = (m: MessageEvent) => {
      this.reports.push(m.data as ProbeReport);
      this.poke();
    };
  }

  private poke(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves when `pred` holds (re-checked on every event); fails with `what` after `ms`. */
  async until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
    if (pred()) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((r) => this.waiters.push({ check: pred, resolve: r })),
      new Promise<void>((_, rej) => (timer = setTimeout(() => rej(new Error(`Timed out waiting for ${what}`)), ms))),
    ]).finally(() => clearTimeout(timer));
  }

  /** Reports of one probe (optionally of one kind). */
  of(ext: string, kind?: string): ProbeReport[] {
    return this.reports.filter((r) => r.ext === ext && (kind === undefined || r.kind === kind));
  }

  async report(ext: string, kind: string, n = 1): Promise<ProbeReport[]> {
    await this.until(() => this.of(ext, kind).length >= n, `${n} '${kind}' report(s) from ${ext}`);
    return this.of(ext, kind);
  }

  phases(ext: string): string[] {
    return this.events.flatMap((e) => (e.type === 'lifecycle' && e.extension === ext ? [e.phase] : []));
  }

  errors(): Extract<RuntimeEvent, { type: 'error' }>[] {
    return this.events.filter((e): e is Extract<RuntimeEvent, { type: 'error' }> => e.type === 'error');
  }

  violations(): Extract<RuntimeEvent, { type: 'violation' }>[] {
    return this.events.filter((e): e is Extract<RuntimeEvent, { type: 'violation' }> => e.type === 'violation');
  }

  /** Closes the app and asserts nothing is left alive (but the leaks a test expects). */
  async closeAndCheckLeaks(expected: Partial<AppLiveCounts> = {}): Promise<void> {
    await this.app.close();
    this.channel.close();
    expect(this.app.live()).toEqual({ engines: 0, threads: 0, extensions: 0, paths: 0, timers: 0, handles: 0, connections: 0, remotes: 0, sockets: 0, processes: 0, ...expected });
  }
}

/** A probe node; `probe` is its script (see the fixture). */
export function probe(name: string, group: string, cfg: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): TenExtensionNode {
  return { type: 'extension', name, addon: 'probe', extension_group: group, property: { probe: cfg, ...extra } };
}

export function plain(name: string, group: string): TenExtensionNode {
  return { type: 'extension', name, addon: 'plain', extension_group: group };
}

/** `from --kind:name--> to[]` */
export function flow(from: string, kind: 'cmd' | 'data' | 'audio_frame' | 'video_frame', name: string, to: (string | { extension: string; msg_conversion?: unknown })[]): TenConnection {
  return { extension: from, [kind]: [{ name, dest: to.map((t) => (typeof t === 'string' ? { extension: t } : t)) }] };
}

export function graph(nodes: TenExtensionNode[], connections: TenConnection[] = []): { graph: TenGraph; name: string } {
  return { graph: { nodes, connections }, name: 'test' };
}
