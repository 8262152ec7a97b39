// `node --import tsx --import ./tools/register.mjs --conditions=@tnzip/source script.ts`: installs
// the tfjs-core resolve hook (see esm-resolve-hook.mjs) before the script loads @tnzip/layers.
import { register } from 'node:module';

register('./esm-resolve-hook.mjs', import.meta.url);
