import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { CHECKPOINT_FILE, checkpointPath, readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';

describe('checkpoint files', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(path.join(tmpdir(), 'hpsearch-ckpt-'));
    dirs.push(d);
    return d;
  };
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('round-trips metadata (non-finite numbers included) and float32 values bit for bit', async () => {
    const dir = path.join(await tempDir(), 'nested', 'trial-3');
    const bits = new Uint32Array([0x3f800000, 0x80000000, 0x7fc00001, 0x00000001, 0x7f7fffff, 0xff800000]);
    const a = new Float32Array(bits.buffer);
    const b = Float32Array.from([Math.PI, -1e-30, 65504]);
    const meta = { epoch: 3, best: Infinity, worst: -Infinity, nan: NaN, lr: 0.1 + 0.2, history: [{ loss: 0.5, x: [1, NaN] }], name: 'cnngru' };
    await writeCheckpoint(dir, meta, [
      { name: 'a', shape: [2, 3], data: a },
      { name: 'b', shape: [3], data: b },
    ]);
    const loaded = await readCheckpoint<typeof meta>(dir);
    assert.ok(loaded !== null);
    assert.deepEqual(loaded.meta, meta);
    assert.equal(loaded.meta.lr, 0.1 + 0.2);
    assert.deepEqual(loaded.tensors.map((t) => [t.name, t.shape]), [['a', [2, 3]], ['b', [3]]]);
    assert.deepEqual(Array.from(new Uint32Array(loaded.tensors[0].data.slice().buffer)), Array.from(bits), 'NaN payloads and -0 survive');
    assert.deepEqual(Array.from(loaded.tensors[1].data), Array.from(b));
  });

  it('replaces the previous checkpoint and leaves no temporary file', async () => {
    const dir = await tempDir();
    await writeCheckpoint(dir, { epoch: 1 }, [{ name: 'w', shape: [1], data: Float32Array.of(1) }]);
    await writeCheckpoint(dir, { epoch: 2 }, [{ name: 'w', shape: [1], data: Float32Array.of(2) }]);
    assert.deepEqual(await readdir(dir), [CHECKPOINT_FILE]);
    const loaded = await readCheckpoint<{ epoch: number }>(dir);
    assert.equal(loaded?.meta.epoch, 2);
    assert.equal(loaded?.tensors[0].data[0], 2);
  });

  it('returns null without a checkpoint and refuses a damaged one', async () => {
    const dir = await tempDir();
    assert.equal(await readCheckpoint(dir), null);
    await writeCheckpoint(dir, { epoch: 1 }, [{ name: 'w', shape: [4], data: new Float32Array(4) }]);
    const file = checkpointPath(dir);
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 3));
    await assert.rejects(readCheckpoint(dir), /damaged: expected \d+ bytes/);
    await writeFile(file, Buffer.from('not a checkpoint'));
    await assert.rejects(readCheckpoint(dir), /damaged: wrong magic/);
  });

  it('rejects a tensor whose values do not fill its shape', async () => {
    await assert.rejects(writeCheckpoint(await tempDir(), {}, [{ name: 'w', shape: [2, 2], data: new Float32Array(3) }]), /shape \[2,2\] but 3 values/);
  });
});
