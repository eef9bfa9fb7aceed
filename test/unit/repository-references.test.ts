/**
 * Every document and comment points inside the repository: no tracked file refers to a
 * path of the machine it was written on (a document there is not in a clone).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const TEXT = /\.(?:ts|js|mjs|cjs|md|json|ya?ml|tf|sh|html|txt|example)$|(?:^|\/)run$/;
/** An absolute path into the machine's work area or a home folder, as a reference would write it. */
const OUTSIDE = /(?:^|[\s`'"(<])(?:\/work\/|\/home\/[a-z])/m;

describe('references', () => {
  it('no tracked text file points outside the repository', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' })
      .split('\n')
      .filter((f) => TEXT.test(f) && f !== 'package-lock.json' && f !== 'test/unit/repository-references.test.ts');
    expect(files.length).toBeGreaterThan(100);
    const offending = files.filter((f) => OUTSIDE.test(readFileSync(join(repo, f), 'utf8')));
    expect(offending).toEqual([]);
  });
});
