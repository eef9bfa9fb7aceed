/**
 * `npm run siprec` while the number order is still pending (issue #20): a warning and exit 0,
 * so Cloud Build's post-apply step and Terraform's local-exec stay green; `--fail-on-pending`
 * keeps the old exit 3 for scripts that must know. Real CLI process, real HTTP, the Dialogflow
 * stand-in keeping the order PENDING.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../local/manifest';
import { type DialogflowMock, startDialogflowMock } from '../../local/mocks/dialogflow';

let dialogflow: DialogflowMock;
beforeAll(async () => {
  dialogflow = await startDialogflowMock({ port: 0, projectId: 'ccbridge-test', pendingReads: Number.POSITIVE_INFINITY });
});
afterAll(() => dialogflow.stop());

function siprec(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(repoRoot, 'node_modules', '.bin', 'tsx'),
      ['scripts/siprec.ts', '--profile', dialogflow.defaultProfile, '--endpoint', dialogflow.baseUrl, '--wait', '0', ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a pending number order is a warning: exit 0, no URI on stdout, the order named on stderr', async () => {
  const run = await siprec([]);
  expect(run.code).toBe(0);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/WARNING: order .* is still pending/);
  // Run again: still pending, still green, and no second order.
  expect((await siprec([])).code).toBe(0);
  expect(dialogflow.orders()).toHaveLength(1);
}, 60_000);

test('--fail-on-pending keeps exit 3 for scripts that must know', async () => {
  expect((await siprec(['--fail-on-pending'])).code).toBe(3);
}, 60_000);
