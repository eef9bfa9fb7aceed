/**
 * `npx tsx scripts/build-agent-assist-ui.ts`: the ui-connector Cloud Run service
 * (functions/ui-connector/serve.ts) into dist/ui-connector-run/, a folder Cloud Build turns
 * into an image with Google's Node.js buildpack:
 *   gcloud builds submit dist/ui-connector-run --pack image=<region>-docker.pkg.dev/<project>/ccbridge/ui-connector-run:<tag>
 * (terraform/agent_assist_ui.tf takes that image as var.agent_assist_ui_image).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../local/manifest';
import { buildBundle } from './build-bundles';

const outDir = join(repoRoot, 'dist', 'ui-connector-run');
const result = await buildBundle({ repoRoot, name: 'ui-connector-run', entry: join(repoRoot, 'functions', 'ui-connector', 'serve.ts'), outDir });
const pkgPath = join(outDir, 'package.json');
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as Record<string, unknown>;
// The buildpack starts the container with `npm start`.
writeFileSync(pkgPath, `${JSON.stringify({ ...pkg, scripts: { start: 'node index.js' } }, null, 2)}\n`);
console.log(`ui-connector-run ${(result.bytes / 1024).toFixed(0)} KiB, externals: ${result.externals.join(', ')}`);
