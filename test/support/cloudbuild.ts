/**
 * The steps of a Cloud Build config in this repository's own simple layout (two-space list
 * items, four-space keys, args as a JSON-style list or as a block list), without a YAML parser.
 */
import { readFileSync } from 'node:fs';

export interface CloudBuildStep {
  id: string;
  name: string;
  entrypoint: string | undefined;
  dir: string | undefined;
  args: string[];
  body: string;
}

export function readCloudBuildSteps(path: string): CloudBuildStep[] {
  const text = readFileSync(path, 'utf8');
  const out: CloudBuildStep[] = [];
  let current: CloudBuildStep | null = null;
  let inArgs = false;
  let block: string[] | null = null;
  for (const line of text.slice(text.indexOf('\nsteps:')).split('\n')) {
    const id = /^ {2}- id: (\S+)/.exec(line);
    if (id) {
      current = { id: id[1]!, name: '', entrypoint: undefined, dir: undefined, args: [], body: '' };
      out.push(current);
      inArgs = false;
      block = null;
      continue;
    }
    if (!current) continue;
    current.body += `${line}\n`;
    if (block) {
      if (/^ {8}/.test(line) || line.trim() === '') {
        block.push(line.slice(8));
        continue;
      }
      current.args.push(block.join('\n').trimEnd() + '\n');
      block = null;
    }
    const key = /^ {4}(\w+): ?(.*)$/.exec(line);
    if (key) {
      inArgs = false;
      const [, k, v] = key;
      if (k === 'name') current.name = v!;
      if (k === 'entrypoint') current.entrypoint = v!;
      if (k === 'dir') current.dir = v!;
      if (k === 'args') {
        if (v!.startsWith('[')) current.args = JSON.parse(v!) as string[];
        else inArgs = true;
      }
      continue;
    }
    if (inArgs) {
      const item = /^ {6}- (.*)$/.exec(line);
      if (item?.[1] === '|') block = [];
      else if (item) current.args.push(item[1]!.replace(/^"|"$/g, ''));
    }
  }
  if (current && block) current.args.push(block.join('\n').trimEnd() + '\n');
  return out;
}
