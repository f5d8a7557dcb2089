export { DEFAULT_STORAGE_URL, createObjectStore } from './create-object-store.ts';
export { StorageError } from './errors.ts';
export { checkKey, manifestKey } from './keys.ts';
export { LocalObjectStore } from './local-store.ts';
export type {
  ObjectHead,
  ObjectStore,
  ObjectStoreKind,
  PutBody,
  PutOptions,
  ReadableUrlOptions,
  StoredObject,
} from './object-store.ts';
export { resolveS3DriverOptions } from './s3-options.ts';
export type { ResolvedS3DriverOptions, S3DriverOptions } from './s3-options.ts';
export { S3ObjectStore } from './s3-store.ts';
