/** The storage layer: the Storage interface, its SQLite implementation and its errors. */
export * from './types.js';
export * from './errors.js';
export { SqliteStorage, type SqliteStorageOptions } from './sqlite.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion, type Migration, type MigrationResult } from './migrations.js';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
export { NO_STORAGE_FAULTS, storageFaultsFromEnv, type StorageFaults } from './faults.js';
