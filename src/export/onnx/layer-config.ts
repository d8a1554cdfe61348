/**
 * Typed reads of a tfjs layer's `getConfig()`, failing with the layer and the key, so a
 * converter never guesses a setting it does not understand.
 */
import type * as tf from '@tensorflow/tfjs';

export class LayerConfig {
  private readonly config: tf.serialization.ConfigDict;

  constructor(readonly layer: tf.layers.Layer) {
    this.config = layer.getConfig();
  }

  private fail(key: string, expected: string): never {
    throw new Error(`layer ${this.layer.name} (${this.layer.getClassName()}): config ${key} must be ${expected}, got ${JSON.stringify(this.config[key])}`);
  }

  number(key: string): number {
    const v = this.config[key];
    return typeof v === 'number' ? v : this.fail(key, 'a number');
  }

  /** A number or a list of `rank` numbers (tfjs stores sizes either way), as a list. */
  numbers(key: string, rank: number): number[] {
    const v = this.config[key];
    if (typeof v === 'number') return Array.from({ length: rank }, () => v);
    if (Array.isArray(v) && v.length === rank && v.every((x) => typeof x === 'number')) return v as number[];
    return this.fail(key, `a number or ${rank} numbers`);
  }

  string(key: string): string {
    const v = this.config[key];
    return typeof v === 'string' ? v : this.fail(key, 'a string');
  }

  boolean(key: string): boolean {
    const v = this.config[key];
    return typeof v === 'boolean' ? v : this.fail(key, 'true or false');
  }

  /** The value, or undefined when the key is absent or null. */
  optional(key: string): tf.serialization.ConfigDictValue | undefined {
    const v = this.config[key];
    return v === null ? undefined : v;
  }

  /** Refuses a setting whose value is not the one the converter implements. */
  expect(key: string, allowed: readonly tf.serialization.ConfigDictValue[]): void {
    const v = this.config[key];
    if (!allowed.includes(v)) this.fail(key, allowed.map((a) => JSON.stringify(a)).join(' or '));
  }
}
