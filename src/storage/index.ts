/** The storage layer: the Storage interface, its SQLite and PostgreSQL implementations and its errors. */
export * from './types.js';
export * from './errors.js';
export { leaseOf } from './lease.js';
export { databaseFileError } from './sqlite/errors.js';
export { SqliteStorage, type SqliteStorageOptions } from './sqlite/storage.js';
export { PostgresStorage, type PostgresStorageOptions } from './postgres/storage.js';
export { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './postgres/migrations.js';
export { openStorageAt, type OpenStorageOptions } from './open.js';
export { readStudySnapshot, type StudySnapshot, type SnapshotArtifact } from './study-snapshot.js';
export { parseStorageUrl, storageLabel, maskPassword, type StorageLocation } from './url.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion, type Migration, type MigrationResult } from './sqlite/migrations.js';
export { DEFAULT_RETRY, type RetryPolicy } from './sqlite/retry.js';
export { NO_STORAGE_FAULTS, storageFaultsFromEnv, type StorageFaults } from './faults.js';
