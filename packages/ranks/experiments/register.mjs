// Installs the tfjs-core resolve hook (esm-resolve-hook.mjs, copied from @tnzip/train's tools) for
// scripts run in plain Node with tsx: `node --import tsx --import ./experiments/register.mjs ...`.
import { register } from 'node:module';

register('./esm-resolve-hook.mjs', import.meta.url);
