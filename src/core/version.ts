/** hpsearch's own version, from its package.json (what exports and model cards record). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/** The `version` of the hpsearch package.json above this file (source or dist/). */
export function hpsearchVersion(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hpsearch' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // not here; look further up
    }
    dir = dirname(dir);
  }
  return (cached = 'unknown');
}
