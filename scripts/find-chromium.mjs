// Finds a Chromium for the end-to-end tests: an explicit CHROMIUM_PATH, Debian's package, or
// Playwright's own download, in that order. Returns null when there is none.
import { existsSync } from 'node:fs';

export async function findChromium() {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) return existsSync(explicit) ? explicit : null;
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    const { chromium } = await import('playwright-core');
    const bundled = chromium.executablePath();
    if (bundled && existsSync(bundled)) return bundled;
  } catch {
    // playwright-core knows no browser of its own here.
  }
  return null;
}

export const HOW_TO_GET_CHROMIUM = `No Chromium found for the end-to-end tests. Any one of these fixes it:
  - Debian/Ubuntu:  sudo apt-get install -y chromium        (provides /usr/bin/chromium)
  - any system:     npx playwright install chromium          (Playwright's own build)
  - or point at one: CHROMIUM_PATH=/path/to/chrome npm run test:e2e`;
