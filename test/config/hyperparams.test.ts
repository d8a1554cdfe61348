/**
 * The hyperparameter registry (src/config/hyperparams.ts) is the only table of names, rules
 * and defaults; docs/searchspace.md and the schema's annotations repeat it for readers, and
 * must not drift from it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  HYPERPARAM_NAMES,
  HYPERPARAMS,
  hyperparamDefault,
  hyperparamDefaults,
  type HyperparamSpec,
  MODELS,
  parseSpaceText,
  resolveHyperparams,
  schemaPath,
} from '../../src/config/index.js';
import { documentedHyperparams } from './helpers.js';

/** The type column as docs/searchspace.md writes a rule. */
function documentedType(rule: HyperparamSpec['rule']): string {
  if (rule.kind === 'choice') return rule.values.map((v) => `\`${v}\``).join(' \\| ');
  const noun = rule.integer ? 'integer' : 'number';
  if (rule.max === undefined) return `${noun} ${rule.minExclusive ? '>' : '≥'} ${rule.min}`;
  return `${noun} in ${rule.minExclusive ? '(' : '['}${rule.min}, ${rule.max}${rule.maxExclusive ? ')' : ']'}`;
}

test('docs/searchspace.md lists every hyperparameter with its rule and the default of each model', () => {
  const rows = documentedHyperparams();
  assert.deepEqual(rows.map((r) => r.name), [...HYPERPARAM_NAMES], 'the same names, in the same order');
  for (const row of rows) {
    const name = row.name as (typeof HYPERPARAM_NAMES)[number];
    assert.equal(row.type, documentedType(HYPERPARAMS[name].rule), `type of ${name}`);
    assert.deepEqual(Object.keys(row.perModel), [...MODELS], 'one column per model');
    for (const model of MODELS) {
      const d = hyperparamDefault(name, model);
      assert.equal(row.perModel[model], d === undefined ? '—' : `\`${d}\``, `default of ${name} for ${model}`);
    }
  }
});

test('the schema names every hyperparameter and the per-model defaults it does not show', () => {
  const schema = JSON.parse(readFileSync(schemaPath(), 'utf8')) as { properties: Record<string, { description: string }> };
  const description = schema.properties.defaults.description;
  for (const name of HYPERPARAM_NAMES) assert.match(description, new RegExp(`\\b${name}\\b`));
  // The schema's `default` is the default model's (test/config/schema.test.ts); the others are spelt out.
  for (const model of MODELS.slice(1)) {
    const own = HYPERPARAM_NAMES.filter((n) => typeof HYPERPARAMS[n].default === 'object' && hyperparamDefault(n, model) !== undefined);
    const expected = `${model}: ${own.map((n) => `${n} ${hyperparamDefault(n, model)}`).join(', ')}`;
    assert.ok(description.includes(expected), `schema description says "${expected}"`);
  }
});

test('a study stores the defaults of its model, under the ones its file sets', () => {
  for (const model of MODELS) {
    const s = parseSpaceText(`model: ${model}\ndefaults: {batch_size: 64, extra: 1}\nparams: {}\n`, 'x.yaml').settings;
    assert.deepEqual(s.defaults, { ...hyperparamDefaults(model), batch_size: 64, extra: 1 });
  }
  assert.equal('gru_hidden' in hyperparamDefaults('cnn2d'), false, 'cnn2d has no GRU');
});

test('resolveHyperparams: params, then defaults, then the registry; values checked by the same rules as the YAML', () => {
  const hp = resolveHyperparams('cnn2d', { hidden: 16, optimizer: 'AdamW' }, { hidden: 8, num_layers: 2, weight_decay: 0.05 });
  assert.deepEqual(hp, {
    model: 'cnn2d',
    optimizer: 'adamw',
    learningRate: 1e-3,
    weightDecay: 0.05,
    batchSize: 32,
    hidden: 16,
    gruHidden: 0,
    numLayers: 2,
    numBlocks: 1,
    dropout: 0.3,
    dataset: 'smote',
    lrFactor: 0.2,
    clipNorm: 1,
  });
  assert.equal(resolveHyperparams('cnngru', { weight_decay: 0.05 }).weightDecay, 0, 'adam ignores weight_decay');
  assert.equal(resolveHyperparams('cnn1d', { num_layers: -1 }).numLayers, 0, 'a name the model does not read is not checked');
  assert.throws(() => resolveHyperparams('cnngru', { dropout: 1 }), /parameter dropout must be < 1, got 1/);
  assert.throws(() => resolveHyperparams('cnngru', { lr_factor: 0 }), /parameter lr_factor must be > 0, got 0/);
  assert.throws(() => resolveHyperparams('cnngru', {}, { dataset: 'smoat' }), /parameter dataset must be smote, oversampled or none, got "smoat"/);
  assert.throws(() => resolveHyperparams('cnngru', { batch_size: 2.5 }), /parameter batch_size must be an integer, got 2.5/);
});
