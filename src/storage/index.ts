/** The storage layer: the Storage interface, its SQLite implementation and its errors. */
export * from './types.js';
export * from './errors.js';
export { leaseOf } from './lease.js';
export { databaseFileError } from './sqlite/errors.js';
export { SqliteStorage, type SqliteStorageOptions } from './sqlite/storage.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion, type Migration, type MigrationResult } from './sqlite/migrations.js';
export { DEFAULT_RETRY, type RetryPolicy } from './sqlite/retry.js';
export { NO_STORAGE_FAULTS, storageFaultsFromEnv, type StorageFaults } from './faults.js';
