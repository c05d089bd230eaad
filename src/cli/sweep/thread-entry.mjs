// A worker thread of a sweep: TypeScript through tsx, as bin/kestrel.js runs it in the main thread
import { register } from 'tsx/esm/api';

register();
await import('./thread.ts');
