/**
 * A tagged template for HTML that escapes every interpolated value unless it is itself
 * markup built with `html`: user text (study names, param values, failure reasons) can
 * never become markup by accident.
 */
import { escapeHtml } from './format.js';

export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type MarkupValue = Markup | string | number | null | undefined | false | readonly MarkupValue[];

function piece(v: MarkupValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Markup) return v.text;
  if (Array.isArray(v)) return v.map(piece).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: readonly MarkupValue[]): Markup {
  let out = strings[0];
  values.forEach((v, i) => {
    out += piece(v) + strings[i + 1];
  });
  return new Markup(out);
}

/** Trusted text inserted as is (the inlined library and our own script and style). */
export function raw(text: string): Markup {
  return new Markup(text);
}
