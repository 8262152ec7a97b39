// `node --import @tnzip/layers/node-register app.js`: lets plain Node load @tnzip/layers.
//
// tfjs-core's Node build registers no gradients; its gradient registrations live only in its ES
// module build (`dist/register_all_gradients.js`), whose extensionless imports Node's resolver
// rejects. This registers the resolve hook in ./tfjs-esm-hook.mjs, which fixes exactly those
// specifiers. Bundlers, vitest and browsers need none of this. Import it before @tnzip/layers.
import { register } from 'node:module';

register('./tfjs-esm-hook.mjs', import.meta.url);
