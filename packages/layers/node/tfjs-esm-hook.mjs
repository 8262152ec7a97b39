// Node resolve hook for programs run in plain Node (node, tsx): tfjs-core's ESM build, which holds
// its gradient registrations (`dist/register_all_gradients`), uses extensionless relative
// imports and sits in a package without "type": "module". This hook appends `.js` where Node
// cannot resolve such a specifier and marks those files as ES modules. Bundlers and vitest need
// none of this.
const TFJS_DIST = '/@tensorflow/tfjs-core/dist/';

export async function resolve(specifier, context, next) {
  const fromTfjs = context.parentURL?.includes(TFJS_DIST) === true;
  const wantsTfjsDist = specifier.startsWith('@tensorflow/tfjs-core/dist/');
  if (!fromTfjs && !wantsTfjsDist) return next(specifier, context);
  if (fromTfjs && !specifier.startsWith('.')) return next(specifier, context);
  const candidates = specifier.endsWith('.js') ? [specifier] : [`${specifier}.js`, `${specifier}/index.js`, specifier];
  let lastError;
  for (const s of candidates) {
    try {
      const r = await next(s, context);
      if (r.url.includes(TFJS_DIST)) return { ...r, format: 'module', shortCircuit: true };
      return r;
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}
