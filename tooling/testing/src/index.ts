export type { TestBackend } from './backends.js';
export { describeBackends, selectedBackends } from './backends.js';
export { disposeDeep, expectNoLeak, expectNoLeakAsync } from './leaks.js';
