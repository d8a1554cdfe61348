/**
 * yargs' own usage errors, reworded as hpsearch's bad-input messages: one line that names
 * the flag (`--backend: expected one of ...`) or the command, instead of yargs' multi-line
 * "Invalid values:" block or "Unknown argument: x" (which does not say whether x was meant
 * as a flag or a command).
 */
import { InputError } from '../core/errors.js';

/** The first non-option words of the command line (`['run', 'space.yaml']`). */
function leadingWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  return words;
}

/**
 * The command named by the leading words, without its arguments: `run` for `run a.yaml`,
 * `data import` for `data import x.csv` (a usage `data <command>` takes one more word).
 */
function commandPath(words: readonly string[], usages: readonly string[]): { path: string; usage: string | undefined } {
  const usage = usages.find((u) => u.split(' ')[0] === words[0]);
  const depth = usage?.split(' ')[1] === '<command>' ? 2 : 1;
  return { path: words.slice(0, depth).join(' '), usage: depth === 1 ? usage : undefined };
}

function flagSpelling(name: string, argv: readonly string[]): string | null {
  for (const a of argv) {
    const m = /^(--?)([^=]+)/.exec(a);
    if (m && m[2] === name) return `${m[1]}${name}`;
  }
  return null;
}

/** "Argument: backend, Given: "nope", Choices: "auto", "cpu"" → the one-line message. */
function invalidValue(line: string): string | null {
  const m = /Argument: ([^,]+), Given: (.*), Choices: (.*)$/.exec(line.trim());
  if (!m) return null;
  return `--${m[1]}: expected one of ${m[3]}, got ${m[2]}`;
}

/**
 * `message` as yargs wrote it (English locale; any other wording is kept, on one line),
 * `argv` the command line, `usages` the command strings (`run <space>`) to name missing
 * positional arguments.
 */
export function usageError(message: string, argv: readonly string[], usages: readonly string[] = [], listed: readonly string[] = usages): InputError {
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  const first = lines[0] ?? message;
  const words = leadingWords(argv);
  const { path: command, usage } = commandPath(words, usages);

  // An unknown command first: yargs reports the first unknown *argument*, which for
  // `hpsearch deploy-model x --format onnx` is the flag, and "--format: unknown option"
  // would send the user looking for a typo in the wrong place.
  const name = words[0];
  if (name !== undefined && usages.length > 0 && !usages.some((u) => u.split(' ')[0] === name)) {
    const suggestion = /^Did you mean (.*)\?$/m.exec(message);
    const names = listed.map((u) => u.split(' ')[0]).join(', ');
    return new InputError(`unknown command "${name}"${suggestion ? `; did you mean ${suggestion[1]}?` : ''} (commands: ${names}; hpsearch --help describes them)`);
  }

  if (first.startsWith('Invalid values:')) {
    const reworded = lines.slice(1).map(invalidValue).find((l) => l !== null);
    if (reworded) return new InputError(reworded);
  }

  let m = /^Unknown arguments?: (.*)$/.exec(first);
  if (m) {
    const arg = (m[1] as string).split(', ')[0] as string;
    const flag = flagSpelling(arg, argv);
    if (flag !== null) return new InputError(`${flag}: unknown option (hpsearch ${command ? `${command} ` : ''}--help lists the options)`);
    return new InputError(`${command}: unexpected argument "${arg}" (hpsearch ${command} --help shows the usage)`);
  }

  m = /^Missing required arguments?: (.*)$/.exec(first);
  if (m) return new InputError(`--${(m[1] as string).split(', ')[0]}: missing; this option is required (see hpsearch ${command} --help)`);

  m = /^Not enough arguments following: (.*)$/.exec(first);
  if (m) return new InputError(`--${m[1]}: expected a value after the flag`);

  if (/^Not enough non-option arguments/.test(first)) {
    const names = usage?.split(' ').filter((w) => w.startsWith('<')) ?? [];
    const what = names.length > 0 ? `the argument${names.length > 1 ? 's' : ''} ${names.join(' ')}` : 'an argument';
    return new InputError(`${command || 'hpsearch'}: missing ${what} (see hpsearch ${command ? `${command} ` : ''}--help)`);
  }

  return new InputError(lines.join(' ').replace(/\s+/g, ' ').trim());
}

/**
 * What the CLI throws when yargs fails: `err` when it is the command's own error, else the
 * reworded usage error (yargs raises some of its own as errors, "Not enough arguments
 * following: trials" among them, named YError).
 */
export function usageFailure(
  message: string | null | undefined,
  err: Error | undefined,
  argv: readonly string[],
  usages: readonly string[],
  listed: readonly string[] = usages,
): Error {
  if (err !== undefined && err !== null && err.name !== 'YError') return err;
  return usageError(message || err?.message || 'bad command line', argv, usages, listed);
}
