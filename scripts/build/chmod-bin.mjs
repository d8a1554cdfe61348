#!/usr/bin/env node
// Makes the package's bin files executable after tsc has written them (tsc creates files
// with mode 644). `npx hpsearch` in a clone of this repository runs dist/src/cli/main.js
// directly, so without this a fresh clone answers "Permission denied".
import { chmodSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
for (const bin of bins) chmodSync(new URL(`../../${bin}`, import.meta.url), 0o755);
