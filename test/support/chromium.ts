/**
 * Headless Chromium (Debian's `chromium`, installed once with `apt-get install -y chromium`;
 * CI installs it too) for the checks of pages the bundle serves.
 */
import { spawn } from 'node:child_process';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * The DOM after Chromium loaded and laid out the page (`--dump-dom`). `extraArgs` e.g. a
 * profile (`--user-data-dir=…`) or `--virtual-time-budget=…` so a page's fetches finish first.
 */
export function dumpDom(url: string, extraArgs: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...extraArgs, '--dump-dom', url], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('chromium did not finish in 45 s'));
    }, 45_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
