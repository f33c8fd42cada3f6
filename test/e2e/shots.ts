import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { snap } from './fixtures';

/** Where `shot` keeps its screenshots as files, besides attaching them to the report. */
export const SHOTS_DIR = join('test-results', 'screenshots');

/** A screenshot attached to the report and kept as `test-results/screenshots/<name>.png`. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SHOTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`) });
  await snap(page, name);
}
