/**
 * Writing an export folder whole or not at all: every file goes to a temporary sibling
 * folder, which is renamed to the destination once complete. A destination that is not empty
 * is replaced only with `force` (moved aside first, removed after the rename), so an
 * interrupted export leaves either the previous folder or the new one, never a mix.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';

/** Refuses a destination that cannot be written to: a file, a non-empty folder without `force`, a missing parent. */
export function checkExportFolder(dir: string, force: boolean, flag: string): void {
  const parent = dirname(resolve(dir));
  if (!existsSync(parent)) throw new InputError(`${flag} ${dir}: the folder ${parent} does not exist`);
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new InputError(`${flag} ${dir}: a file, not a folder`);
  if (!force && readdirSync(dir).length > 0) throw new InputError(`${flag} ${dir}: the folder is not empty (pass --force to replace it)`);
}

/** Writes `files` (name → bytes or text) as the folder `dir`, atomically; see the top of this file. */
export function writeExportFolder(dir: string, files: ReadonlyMap<string, Uint8Array | string>, force: boolean, flag = '--out'): void {
  checkExportFolder(dir, force, flag);
  const target = resolve(dir);
  const tag = `${process.pid}-${Date.now()}`;
  const tmp = join(dirname(target), `.${basename(target)}.partial-${tag}`);
  const aside = join(dirname(target), `.${basename(target)}.old-${tag}`);
  mkdirSync(tmp);
  try {
    for (const [name, content] of files) writeFileSync(join(tmp, name), content);
    if (existsSync(target)) renameSync(target, aside);
    try {
      renameSync(tmp, target);
    } catch (err) {
      if (existsSync(aside)) renameSync(aside, target);
      throw err;
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  rmSync(aside, { recursive: true, force: true });
}
