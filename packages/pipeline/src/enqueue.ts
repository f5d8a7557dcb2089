// The producer path lives in core (a producer SDK must not pull in providers or storage); re-exported
// here so pipeline users keep their import.
export { enqueueGeneration } from '@reelay/core';
export type { EnqueueOptions, EnqueueResult } from '@reelay/core';
