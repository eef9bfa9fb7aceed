/**
 * `npm run test:cloudbuild` (not part of `npm test`: it runs the whole suite once more, in a
 * fresh clone). Reads the `test` step of cloudbuild.yaml — its image and the command it runs —
 * and runs that command as written in a fresh clone of the committed tree, as the node:22
 * image would: Debian, Node 22 first on PATH, npm, git, no node_modules, nothing built.
 *
 * On this machine Debian's chromium is installed, so setup.sh's `apt-get install chromium`
 * branch (the one the node:22 image takes) is skipped. `npm run test:cloudbuild:debian` closes
 * that gap: it builds a Debian bookworm root filesystem shaped like the node:22 image
 * (scripts/cloudbuild-rootfs.sh: no Chromium, Node 22 in /usr/local) and, with CLOUDBUILD_ROOTFS
 * naming it, this test runs the step as root inside it with chroot, checking that Chromium is
 * absent before and installed by the step.
 * CLOUDBUILD_STEPS_STOP_AFTER_SETUP=1 runs the command only up to the end of scripts/setup.sh
 * (install) plus `npm run typecheck` and `npm run lint`, for a quick check of the mechanics.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { readCloudBuildSteps } from '../support/cloudbuild';
import { repoRoot } from '../../local/manifest';

const node22 = join(repoRoot, 'node_modules', 'node', 'bin', 'node');

function run(argv: string[], options: { cwd?: string; env: Record<string, string> }): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { ...options, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', resolve);
  });
}

/** Nothing of this machine's environment but how it reaches the package registries (its CA
 * bundle, proxies): Cloud Build reaches them directly. */
function registryReach(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k, v]) => v !== undefined && /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy)$/.test(k),
    ),
  ) as Record<string, string>;
}

function stepCommand(): string {
  const step = readCloudBuildSteps(join(repoRoot, 'cloudbuild.yaml')).find((s) => s.id === 'test');
  expect(step).toBeDefined();
  expect(step!.name).toBe(`\${_NODE_IMAGE}`);
  expect(step!.entrypoint).toBe('bash');
  const command = step!.args[step!.args.indexOf('-c') + 1]!;
  expect(command).toBe('bash scripts/setup.sh && npm test');
  const quick = process.env['CLOUDBUILD_STEPS_STOP_AFTER_SETUP'] === '1';
  return quick ? command.replace('npm test', 'npm run typecheck && npm run lint') : command;
}

const rootfsDir = process.env['CLOUDBUILD_ROOTFS'];
const onHost = rootfsDir ? test.skip : test;
const inRootfs = rootfsDir ? test : test.skip;

onHost(
  'the cloudbuild.yaml test step, run as written on a fresh clone under Node 22, passes',
  async () => {
    const command = stepCommand();
    const dir = mkdtempSync(join(tmpdir(), 'ccbridge-cloudbuild-'));
    try {
      const clone = join(dir, 'workspace');
      execFileSync('git', ['clone', '--quiet', '--no-local', repoRoot, clone]);
      // node:22 has Node 22 as `node`; npm runs on whichever node is first on PATH.
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      symlinkSync(node22, join(bin, 'node'));
      const env: Record<string, string> = {
        ...registryReach(),
        PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
        HOME: dir,
        NPM_CONFIG_USERCONFIG: join(process.env['HOME'] ?? '/root', '.npmrc'),
        CI: 'true',
        LANG: 'C.UTF-8',
      };
      expect(await run(['bash', '-c', command], { cwd: clone, env })).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  3_600_000,
);

inRootfs(
  'the cloudbuild.yaml test step, run as root in a Debian rootfs shaped like node:22 (no Chromium), installs Chromium and passes',
  async () => {
    const command = stepCommand();
    const rootfs = resolvePath(rootfsDir!);
    expect(existsSync(join(rootfs, 'usr', 'local', 'bin', 'node'))).toBe(true);
    // The image has no Chromium: the step must take setup.sh's apt-get branch.
    expect(await run(['chroot', rootfs, 'sh', '-c', 'command -v chromium'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } })).not.toBe(0);
    const workspace = join(rootfs, 'workspace');
    rmSync(workspace, { recursive: true, force: true });
    execFileSync('git', ['clone', '--quiet', '--no-local', repoRoot, workspace]);
    const mounts = [
      ['-t', 'proc', 'proc', join(rootfs, 'proc')],
      ['--rbind', '/dev', join(rootfs, 'dev')],
      ['-t', 'sysfs', 'sysfs', join(rootfs, 'sys')],
    ];
    const mounted: string[] = [];
    try {
      for (const m of mounts) {
        execFileSync('mount', m);
        mounted.push(m[m.length - 1]!);
      }
      // scripts/cloudbuild-rootfs.sh copied this machine's CA bundle to the same path in the rootfs.
      const env = { ...registryReach(), PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', CI: 'true', LANG: 'C.UTF-8' };
      expect(await run(['chroot', rootfs, 'bash', '-c', `cd /workspace && ${command}`], { env })).toBe(0);
      expect(await run(['chroot', rootfs, 'sh', '-c', 'command -v chromium'], { env })).toBe(0);
    } finally {
      for (const target of mounted.reverse()) execFileSync('umount', ['--recursive', '--lazy', target]);
      rmSync(workspace, { recursive: true, force: true });
    }
  },
  3_600_000,
);
