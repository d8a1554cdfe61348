/**
 * Every relative link and image in README.md and docs/*.md points at a file that exists,
 * and every `#anchor` at a heading of the target file (GitHub's heading slugs).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(ROOT, 'docs', f));
  return [join(ROOT, 'README.md'), ...docs];
}

/** The text outside fenced code blocks and inline code spans, where links are links. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Link and image targets: `[text](target)`, `![alt](target "title")`. */
function linkTargets(markdown: string): string[] {
  const out: string[] = [];
  for (const m of prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1] as string);
  return out;
}

/**
 * GitHub's anchor for a heading (github-slugger): the heading's text without markdown,
 * lower-cased, punctuation dropped, spaces turned into hyphens; repeats get -1, -2, ...
 */
function headingSlugs(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const slugs = new Set<string>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    // Rendered text: link text kept, code and emphasis marks dropped (underscores stay, as
    // they do inside `snake_case` code spans).
    const text = (m[1] as string).replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    slugs.add(n === 0 ? base : `${base}-${n}`);
  }
  return slugs;
}

test('the slugger gives GitHub anchors', () => {
  const slugs = headingSlugs('# TPE (Tree-structured Parzen Estimator)\n## `data.split`\n## `early_stopping`\n## Querying trials.db\n## Querying trials.db\n```\n# not a heading\n```\n');
  assert.deepEqual([...slugs], ['tpe-tree-structured-parzen-estimator', 'datasplit', 'early_stopping', 'querying-trialsdb', 'querying-trialsdb-1']);
  assert.deepEqual(linkTargets('see [a](docs/x.md#y), ![img](docs/p.png "t") and `[not](a link)`\n```\n[nor](this)\n```'), ['docs/x.md#y', 'docs/p.png']);
});

test('every relative link in README.md and docs/*.md resolves to an existing file and heading', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of markdownFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const target of linkTargets(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      checked++;
      const [path = '', anchor] = target.split('#', 2);
      const where = `${relative(ROOT, file)}: (${target})`;
      const dest = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      if (!existsSync(dest)) {
        broken.push(`${where}: no such file ${relative(ROOT, dest)}`);
        continue;
      }
      if (anchor !== undefined && anchor !== '' && dest.endsWith('.md') && statSync(dest).isFile()) {
        if (!headingSlugs(readFileSync(dest, 'utf8')).has(anchor)) broken.push(`${where}: no heading #${anchor} in ${relative(ROOT, dest)}`);
      }
    }
  }
  assert.ok(checked >= 20, `only ${checked} relative links found`);
  assert.deepEqual(broken, []);
});
