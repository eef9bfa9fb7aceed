/**
 * `npm run trace -- <id>` / `npm run trace -- --day YYYY-MM-DD`: one interaction's timeline
 * and verdict, or a day at a glance (see scripts/trace/main.ts and functions/operator/README.md).
 */
import { repoRoot } from '../local/manifest';
import { runTraceCli } from './trace/main';

const { code } = await runTraceCli(process.argv.slice(2), process.env, repoRoot, { stdout: process.stdout, stderr: process.stderr });
process.exitCode = code;
