import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { storageConformance } from './conformance.js';
import { DISTRIBUTIONS, PARAM_COUNT, paramsFor } from './fixtures/space.js';
import { newStudy, openStorage, tempDb } from './helpers.js';

storageConformance({
  name: 'SQLite',
  async database() {
    const path = tempDb();
    return { open: async () => openStorage(path) };
  },
  async open() {
    return openStorage(':memory:');
  },
});

describe('SQLite file layout', () => {
  it('stores params internally and gives them back external', async () => {
    const path = tempDb();
    const storage = openStorage(path);
    const study = await newStudy(storage);
    const t = await storage.createTrial(study.id, { state: 'RUNNING', params: paramsFor(1), distributions: DISTRIBUTIONS });
    assert.deepEqual(t.params, paramsFor(1));
    const db = new Database(path, { readonly: true });
    try {
      const rows = Object.fromEntries(
        (db.prepare('SELECT param_name, param_value, distribution_json FROM trial_params WHERE trial_id = ?').all(t.id) as {
          param_name: string;
          param_value: number;
          distribution_json: string;
        }[]).map((r) => [r.param_name, r]),
      );
      assert.equal(Object.keys(rows).length, PARAM_COUNT);
      assert.equal(rows['gru_hidden']?.param_value, 1, 'categorical 64 is choice index 1');
      assert.equal(rows['optimizer']?.param_value, 1, "'adamw' is choice index 1");
      assert.equal(rows['bidirectional']?.param_value, 0, 'false is choice index 0');
      assert.equal(rows['num_layers']?.param_value, 3);
      assert.equal(rows['learning_rate']?.param_value, paramsFor(1)['learning_rate']);
      assert.deepEqual(JSON.parse(rows['optimizer']?.distribution_json ?? ''), DISTRIBUTIONS['optimizer']);
    } finally {
      db.close();
    }
  });
});
