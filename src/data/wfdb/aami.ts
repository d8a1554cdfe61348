/**
 * WFDB annotation codes (the numbers of the MIT format, with their one-letter mnemonics, as
 * in WFDB's `ecgcodes.h`) and the AAMI EC57 heartbeat classes they map to, as Kachuee et al.
 * 2018 and the Kaggle MIT-BIH set use them:
 *
 *   N = N, L, R, e, j    S = A, a, J, S    V = V, E    F = F    Q = /, f, Q
 *
 * Every other defined code (rhythm `+`, noise `~`, artefact `|`, non-conducted P `x`, ...) is
 * not a beat and is skipped; a code outside the table is refused by the reader.
 */

export const AAMI_CLASSES = ['N', 'S', 'V', 'F', 'Q'] as const;
export type AamiClass = (typeof AAMI_CLASSES)[number];

/** Mnemonic of each defined annotation code 1..41 (index = code; 0 is not an annotation). */
const MNEMONICS: readonly string[] = [
  '', 'N', 'L', 'R', 'a', 'V', 'F', 'J', 'A', 'S', 'E', 'j', '/', 'Q', '~', '', '|', '', 's', 'T', '*',
  'D', '"', '=', 'p', 'B', '^', 't', '+', 'u', '?', '!', '[', ']', 'e', 'n', '@', 'x', 'f', '(', ')', 'r',
];

const AAMI_OF: Readonly<Record<string, AamiClass>> = {
  N: 'N', L: 'N', R: 'N', e: 'N', j: 'N',
  A: 'S', a: 'S', J: 'S', S: 'S',
  V: 'V', E: 'V',
  F: 'F',
  '/': 'Q', f: 'Q', Q: 'Q',
};

/** The mnemonic of an annotation code, or null for a code WFDB does not define. */
export function annotationMnemonic(code: number): string | null {
  const m = MNEMONICS[code];
  return m === undefined || m === '' ? null : m;
}

/** Index into `AAMI_CLASSES` of a beat code, or -1 for a defined code that is not a beat. */
export function aamiClassIndex(code: number): number {
  const m = annotationMnemonic(code);
  const c = m === null ? undefined : AAMI_OF[m];
  return c === undefined ? -1 : AAMI_CLASSES.indexOf(c);
}
