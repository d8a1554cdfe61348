import { hostname } from 'node:os';

/**
 * The name of this machine as the storage records it (the owner of the trials it runs, the
 * machine a study's data came from): `HPSEARCH_HOST` when set, else the operating system's
 * host name. Set it where several machines share one host name (containers started from
 * one image without their own hostname), since a takeover tells machines apart by it.
 */
export function hostName(): string {
  const own = process.env.HPSEARCH_HOST;
  return own !== undefined && own !== '' ? own : hostname();
}
