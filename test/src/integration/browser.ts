import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

/** What a real browser made of a report page. */
export interface RenderedPage {
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** Every request for anything but the page's own files (file:) or inline data: none is expected. */
  requests: string[];
  figures: { name: string; width: number; height: number; marks: number; text: string[] }[];
  tables: string[];
}

/**
 * Debian's chromium (never a downloaded browser): the real binary behind its wrapper script. Installed
 * by `.ci/run` (scripts/ensure-test-packages.sh).
 */
export function chromiumPath(): string {
  for (const candidate of ['/usr/lib/chromium/chromium', '/usr/bin/chromium']) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next
    }
  }
  throw new Error('no chromium: apt-get install chromium (scripts/ensure-test-packages.sh does)');
}

/** Flags that keep the browser off the network: no proxy resolution, no component updates, no DNS. */
const OFFLINE_FLAGS = [
  '--no-sandbox', // tests run as root in CI containers
  '--proxy-server=127.0.0.1:9', // anything that tries the network hits a closed port
  '--proxy-bypass-list=<-loopback>',
  '--host-resolver-rules=MAP * ~NOTFOUND',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--no-first-run',
  '--no-default-browser-check',
];

/** Opens a page headless, lets it render, measures its charts and saves a full-page screenshot. */
export async function openInBrowser(file: string, screenshot: string): Promise<RenderedPage> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: OFFLINE_FLAGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const figures = await page.$$eval('figure[data-chart]', (nodes) =>
      nodes.map((figure) => {
        const svg = figure.querySelector('svg')!;
        const box = svg.getBoundingClientRect();
        return {
          name: figure.getAttribute('data-chart')!,
          width: box.width,
          height: box.height,
          marks: svg.querySelectorAll('path, rect, line, circle, symbol').length,
          text: [...svg.querySelectorAll('text')].map((t) => t.textContent ?? '').filter((t) => t.trim() !== ''),
        };
      }),
    );
    const tables = await page.$$eval('table[data-table]', (nodes) => nodes.map((t) => t.getAttribute('data-table')!));
    await mkdir(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, requests, figures, tables };
  } finally {
    await browser.close();
  }
}
