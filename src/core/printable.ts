/**
 * Names that come from a data file (class names, record names, groups) reach terminals, CSV
 * files and tables. A name holding terminal control sequences (an HDF5 `classes` attribute
 * with `\x1b[2J` clears the screen) must not act on the terminal, so every such name goes
 * through `printable` on its way out: C0 controls, DEL and C1 controls become `\xHH` escapes;
 * every other character, including non-ASCII letters, is kept.
 */

// C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}


/**
 * `JSON.stringify` with the controls it leaves as they are (DEL and C1) written as `\u00HH`
 * escapes too, so the text is safe on a terminal and parses to the same value.
 */
export function printableJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
