// Moved to core with the rest of the producer path; re-exported for pipeline users.
export { waitForGeneration } from '@reelay/core';
