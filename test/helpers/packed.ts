import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { version } from '../../package.json';
import { ROOT } from '../conformance/launch.js';

const run = promisify(execFile);

/**
 * `npm pack` of this repository into `dir`, as a user's `npm install` would receive it.
 * `--ignore-scripts`: the `prepack` build is skipped so the other tests' dist/ is not rebuilt
 * under their feet (`npm test` built it first; alone, run `npm run build` before).
 *
 * @example
 * ```ts
 * const tarball = await packInto(mkdtempSync(join(tmpdir(), 'pack-')));
 * ```
 */
export async function packInto(dir: string): Promise<string> {
  await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT });
  return join(dir, `dingtalk-stream-universal-${version}.tgz`);
}

/**
 * An empty project `root/name` that ran `npm install <flags> <packages…>`; resolves with its
 * folder and what npm printed on stderr (its warnings).
 *
 * @example
 * ```ts
 * const { dir } = await installedProject(root, 'newcomer', [tarball]);
 * ```
 */
export async function installedProject(root: string, name: string, packages: string[], flags: string[] = []): Promise<{ dir: string; npmWarnings: string }> {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true }));
  const { stderr } = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...flags, ...packages], { cwd: dir });
  return { dir, npmWarnings: stderr };
}
