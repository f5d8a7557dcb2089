import { x } from '@reelay/core'; console.log('ok', x);
import '@reelay/testing';
