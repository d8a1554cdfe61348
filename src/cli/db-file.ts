/**
 * What `--db` names, checked before hpsearch's storage opens it. Opening is not harmless:
 * SQLite creates a missing file, turns an empty or foreign file into an hpsearch database
 * (WAL header, schema migrations), and reports a text file only as "file is not a database",
 * a runtime error. Each of these is the user's input, so each is refused here, with the
 * path, before anything is written.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InputError } from '../core/errors.js';

/** `absent`: no file yet; `empty`: a zero-byte file (SQLite's empty database); `database`: an hpsearch database. */
export type DbFileState = 'absent' | 'empty' | 'database';

/** The 16 bytes every SQLite 3 database file starts with (https://www.sqlite.org/fileformat.html, 1.3). */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;

/**
 * Checks `path` and says what is there. Throws `InputError` for a directory, a file that is
 * not an SQLite database, a truncated one, or another program's database.
 */
export function checkDbFile(path: string): DbFileState {
  if (path === ':memory:') return 'database';
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new InputError(`${path}: not a database file (a directory); pass the path of a file with --db`);
    if (!st.isFile()) throw new InputError(`${path}: not a database file; pass the path of a regular file with --db`);
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new InputError(`${path}: cannot read the database (${code ?? String(e)})`);
    return 'absent';
  }
  if (size === 0) return 'empty';
  checkHeader(path, size);
  checkOwnSchema(path);
  return 'database';
}

/** Before a database is created at `path`: its folder must exist (SQLite would fail later, with no path). */
export function checkDbFolder(path: string): void {
  const folder = dirname(path);
  let isDir = false;
  try {
    isDir = statSync(folder).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new InputError(`--db ${path}: the folder ${folder} does not exist`);
}

/** The magic string, and the size the header promises (a file cut short by a copy or a full disk). */
function checkHeader(path: string, size: number): void {
  const head = Buffer.alloc(HEADER_BYTES);
  const fd = openSync(path, 'r');
  let got: number;
  try {
    got = readSync(fd, head, 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  if (got < HEADER_BYTES || !head.subarray(0, 16).equals(SQLITE_MAGIC)) {
    throw new InputError(`${path}: not an SQLite database (given as --db); pass the path of a trials.db, or of a file to create`);
  }
  // Page size (1 stands for 65536) and the database size in pages, which is valid only when
  // the "version-valid-for" number equals the change counter (file format, 1.3.7).
  const pageSize = head.readUInt16BE(16) === 1 ? 65536 : head.readUInt16BE(16);
  const pages = head.readUInt32BE(28);
  const valid = head.readUInt32BE(92) === head.readUInt32BE(24);
  // With a write-ahead log present, another process may be checkpointing: it writes page 1
  // (and its new size) before the pages that extend the file, so the sizes can disagree for
  // a moment. SQLite itself reports a real truncation then.
  if (valid && pages > 0 && size < pageSize * pages && !existsSync(`${path}-wal`)) {
    throw new InputError(`${path}: truncated SQLite database: ${size} bytes on disk, its header says ${pageSize * pages}`);
  }
}

/**
 * A database with tables but none of hpsearch's is another program's: hpsearch would add its
 * own tables to it. Read with a plain connection and no statement that writes: SQLite then
 * changes nothing, and removes the WAL files it opened when it closes.
 */
function checkOwnSchema(path: string): void {
  let tables: string[];
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { fileMustExist: true });
    tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
  } catch (e) {
    // A damaged file is the user's input; anything else (a lock held too long) is not.
    const code = (e as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new InputError(`${path}: not a readable SQLite database (${(e as Error).message})`);
    throw e;
  } finally {
    db?.close();
  }
  if (tables.length > 0 && !tables.includes('schema_version')) {
    const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', ...' : '');
    throw new InputError(`${path}: an SQLite database of another program (tables: ${shown}); hpsearch keeps its studies in a database of its own, pass another --db`);
  }
}
