/**
 * `npm run test:cloudbuild` (not part of `npm test`: it runs the whole suite once more, in a
 * fresh clone). Reads the `test` step of cloudbuild.yaml — its image and the command it runs —
 * and runs that command as written in a fresh clone of the committed tree, as the node:22
 * image would: Debian, Node 22 first on PATH, npm, git, no node_modules, nothing built.
 *
 * What it cannot reproduce here: a machine without Chromium. This machine has Debian's
 * chromium installed, so setup.sh's `apt-get install chromium` branch (the one the node:22
 * image takes) is skipped; the step runs as root there, which that branch needs.
 * CLOUDBUILD_STEPS_STOP_AFTER_SETUP=1 runs the command only up to the end of scripts/setup.sh
 * (install) plus `npm run typecheck` and `npm run lint`, for a quick check of the mechanics.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCloudBuildSteps } from '../support/cloudbuild';
import { repoRoot } from '../../local/manifest';

const node22 = join(repoRoot, 'node_modules', 'node', 'bin', 'node');

test('the cloudbuild.yaml test step, run as written on a fresh clone under Node 22, passes', async () => {
  const step = readCloudBuildSteps(join(repoRoot, 'cloudbuild.yaml')).find((s) => s.id === 'test');
  expect(step).toBeDefined();
  expect(step!.name).toBe(`\${_NODE_IMAGE}`);
  expect(step!.entrypoint).toBe('bash');
  const command = step!.args[step!.args.indexOf('-c') + 1]!;
  expect(command).toBe('bash scripts/setup.sh && npm test');

  const dir = mkdtempSync(join(tmpdir(), 'ccbridge-cloudbuild-'));
  try {
    const clone = join(dir, 'workspace');
    execFileSync('git', ['clone', '--quiet', '--no-local', repoRoot, clone]);
    // node:22 has Node 22 as `node`; npm runs on whichever node is first on PATH.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(node22, join(bin, 'node'));
    const quick = process.env['CLOUDBUILD_STEPS_STOP_AFTER_SETUP'] === '1';
    const run = quick ? command.replace('npm test', 'npm run typecheck && npm run lint') : command;
    // Nothing of this machine's environment but how it reaches the package registries (its CA
    // bundle and npm's user config): Cloud Build reaches them directly.
    const reach = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy)$/.test(k))) as Record<string, string>;
    const env: Record<string, string> = { ...reach, PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, HOME: dir, NPM_CONFIG_USERCONFIG: join(process.env['HOME'] ?? '/root', '.npmrc'), CI: 'true', LANG: 'C.UTF-8' };
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('bash', ['-c', run], { cwd: clone, env, stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    expect(code).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 3_600_000);
