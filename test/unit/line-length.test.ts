/**
 * No tracked source line is longer than the formatter's line width (biome.json lineWidth 160,
 * issue #16). Biome breaks code but cannot break a string or template literal, so a long literal
 * would pass `biome format` and still be one long line; this test catches those.
 * Every tracked file is checked: none is generated or minified today, so nothing is skipped.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const MAX = 160;

test(`no line in a tracked .ts/.js/.mjs file is longer than ${MAX} characters`, () => {
  const files = execFileSync('git', ['ls-files', '*.ts', '*.js', '*.mjs'], { cwd: repo, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '');
  expect(files.length).toBeGreaterThan(0);
  const long: string[] = [];
  for (const file of files) {
    readFileSync(join(repo, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        // Characters, not UTF-16 units or bytes: '→' and '’' count as one, as the formatter counts them.
        const length = [...line].length;
        if (length > MAX) long.push(`${file}:${i + 1} (${length})`);
      });
  }
  expect(long).toEqual([]);
});
