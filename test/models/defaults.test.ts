/**
 * A hyperparameter a YAML file leaves out reaches the trial as the default that
 * docs/searchspace.md documents for the study's model: asserted on what the model builder,
 * the optimiser, the training loop and the data layer receive from the stored settings.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import type { DataInfo } from '../../src/data/types.js';
import { buildModel } from '../../src/models/index.js';
import { MODELS, parseSpaceFile, parseSpaceText, type StudySettings } from '../../src/config/index.js';
import { resolveTrainingHyper } from '../../src/train/training-hyper.js';
import { optimizerSettings } from '../../src/train/optimizers.js';
import { trainingDataOptions } from '../../src/worker/task.js';
import { type DocumentedHyperparam, documentedHyperparams, ROOT } from '../config/helpers.js';
import { useTestBackend } from '../train/fixtures/backend.js';

const DOCS = documentedHyperparams();

/** The documented default of `name` for `model`: a number, a string, or undefined for "—". */
function documented(name: string, model: string): number | string | undefined {
  const row = DOCS.find((r: DocumentedHyperparam) => r.name === name);
  assert.ok(row !== undefined, `${name} is documented`);
  const cell = row.perModel[model];
  if (cell === '—') return undefined;
  const text = cell.replace(/`/g, '');
  return /^[0-9.e+-]+$/.test(text) ? Number(text) : text;
}

const INFO: Record<string, DataInfo> = {
  cnngru: { length: 187, channels: 1, numClasses: 5, multilabel: false, classes: ['N', 'S', 'V', 'F', 'Q'] },
  cnn2d: { length: 187, channels: 1, numClasses: 5, multilabel: false, classes: ['N', 'S', 'V', 'F', 'Q'] },
  cnn1d: { length: 187, channels: 3, numClasses: 5, multilabel: true, classes: ['a', 'b', 'c', 'd', 'e'] },
};

describe('a hyperparameter left out of the YAML gets the documented default of its model', () => {
  before(async () => {
    await useTestBackend();
  });

  for (const model of MODELS) {
    it(model, () => {
      const settings = parseSpaceText(`model: ${model}\nparams: {}\n`, `${model}.yaml`).settings;
      const built = buildModel(model, {}, INFO[model], 0, settings.defaults);
      const or0 = (name: string): number => (documented(name, model) as number | undefined) ?? 0;
      assert.deepEqual(built.hyper, {
        hidden: or0('hidden'),
        gruHidden: or0('gru_hidden'),
        numLayers: or0('num_layers'),
        numBlocks: or0('num_blocks'),
        dropout: or0('dropout'),
      });
      built.model.dispose();

      assert.deepEqual(optimizerSettings({}, settings.defaults), { name: documented('optimizer', model), learningRate: documented('learning_rate', model), weightDecay: 0 });
      assert.equal(optimizerSettings({ optimizer: 'adamw' }, settings.defaults).weightDecay, documented('weight_decay', model));
      const training = resolveTrainingHyper(model, {}, settings.defaults);
      assert.equal(training.batchSize, documented('batch_size', model));
      assert.equal(training.clipNorm, documented('clip_norm', model));
      // The training loop takes lr_factor from the study's defaults when a trial has none.
      assert.equal(settings.defaults.lr_factor, documented('lr_factor', model));
      const task = { trialId: 1, number: 0, params: {}, seed: 0, checkpointDir: '', settings };
      assert.equal(trainingDataOptions(task).balancing, documented('dataset', model));
    });
  }
});

describe('the shipped search spaces: every hyperparameter they leave out is the documented one', () => {
  for (const file of ['cnngru.yaml', 'cnn2d.yaml', 'cnn1d-multilabel.yaml']) {
    it(file, () => {
      const { settings, yaml } = parseSpaceFile(join(ROOT, 'searchspaces', file));
      const fixed = (settings as StudySettings).defaults;
      const tuned = new Set(settings.params.map((p) => p.name));
      const leftOut = DOCS.filter((r) => !tuned.has(r.name) && !new RegExp(`defaults:.*\\b${r.name}:`).test(yaml ?? ''));
      assert.ok(leftOut.length > 0);
      for (const { name } of leftOut) assert.equal(fixed[name], documented(name, settings.model), `${file}: ${name}`);
    });
  }
});
