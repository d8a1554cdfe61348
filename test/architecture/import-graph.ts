/**
 * The import graph of `src/` and the layer rule it must obey (docs/architecture.md):
 *
 *     core ← config ← samplers, pruners, storage, data, backend ← models ← train, export ← worker
 *          ← study ← report ← cli (and the library entry `src/index.ts`)
 *
 * A file may import its own folder and any lower layer, never a higher one and never a
 * sibling of its own layer (samplers may not import storage: they meet only in `study/`).
 * Type-only imports count too: a type that a lower layer needs belongs in a lower layer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Rank of each top-level folder of `src/`; equal ranks are siblings that must not meet. */
export const LAYERS: Readonly<Record<string, number>> = {
  core: 0,
  config: 1,
  samplers: 2,
  pruners: 2,
  storage: 2,
  data: 2,
  backend: 2,
  models: 3,
  // Siblings of train/: both read models only (export converts a trained model).
  export: 4,
  train: 4,
  worker: 5,
  study: 6,
  report: 7,
  // Siblings of report/: a trial's model leaves the study (export folders, predictions).
  deploy: 7,
  cli: 8,
  'index.ts': 8,
};

export interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly message: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/**
 * Every relative module a file refers to: static and dynamic imports, `export … from`,
 * type-only forms (TypeScript's own pre-processor finds them) and the
 * `new URL('./x.js', import.meta.url)` form that names a worker's entry file.
 */
export function referencedModules(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  const out = info.importedFiles.map((f) => f.fileName);
  for (const m of text.matchAll(/new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g)) out.push(m[1] as string);
  return out.filter((s) => s.startsWith('.'));
}

function folderOf(srcRoot: string, file: string): string | null {
  const rel = relative(srcRoot, file);
  if (rel.startsWith('..')) return null;
  // A file directly in src/ (index.ts) is its own layer; any other file, its top folder.
  return rel.split(sep)[0] as string;
}

/** The imports of `srcRoot` that run against the layer order, each named by file and specifier. */
export function layerViolations(srcRoot: string): Violation[] {
  const violations: Violation[] = [];
  for (const file of sourceFiles(srcRoot)) {
    const from = folderOf(srcRoot, file) as string;
    const fromRank = LAYERS[from];
    const fileRel = relative(resolve(srcRoot, '..'), file);
    if (fromRank === undefined) {
      violations.push({ file: fileRel, specifier: '', message: `${fileRel}: folder "${from}" has no layer in test/architecture/import-graph.ts` });
      continue;
    }
    for (const spec of referencedModules(readFileSync(file, 'utf8'))) {
      const target = folderOf(srcRoot, resolve(dirname(file), spec));
      // Outside src/ (the compiled native addon under native/build): not a layer.
      if (target === null || target === from) continue;
      const toRank = LAYERS[target.replace(/\.js$/, '.ts')];
      if (toRank === undefined) {
        violations.push({ file: fileRel, specifier: spec, message: `${fileRel} imports '${spec}': "${target}" has no layer` });
      } else if (toRank > fromRank) {
        violations.push({ file: fileRel, specifier: spec, message: `${fileRel} imports '${spec}': ${from} (layer ${fromRank}) may not import ${target} (layer ${toRank}), a layer above it` });
      } else if (toRank === fromRank) {
        violations.push({ file: fileRel, specifier: spec, message: `${fileRel} imports '${spec}': ${from} and ${target} are siblings (layer ${fromRank}); they meet only in a layer above` });
      }
    }
  }
  return violations;
}
