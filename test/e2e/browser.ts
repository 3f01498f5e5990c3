/** Launches Debian's Chromium through playwright-core, headless, with nothing that phones home. */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.SMOKE_REPAIR_E2E_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(timeoutMs: number): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM}: not found; expected Chromium (apt-get install -y chromium, or set SMOKE_REPAIR_E2E_CHROMIUM)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: timeoutMs,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-domain-reliability',
      '--metrics-recording-only',
    ],
  });
}
