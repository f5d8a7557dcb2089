// Worker processes are started by @reelay/testing (shared with the chaos suite); re-exported here so
// the tests of this app keep their import.
export { startWorker } from '@reelay/testing';
export type { WorkerProcess } from '@reelay/testing';
