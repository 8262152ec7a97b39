// Node ESM resolve hook for the benchmark: tfjs-core's ESM build (dist/*.js), which is the only
// place its gradients live (`dist/register_all_gradients.js`), uses extensionless and directory
// imports that Node's ESM resolver rejects. Retry such relative specifiers with `.js` and
// `/index.js`. Registered by `register-esm-hook.mjs` (node --import).
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    const code = e?.code;
    if (specifier.startsWith('.') && (code === 'ERR_UNSUPPORTED_DIR_IMPORT' || code === 'ERR_MODULE_NOT_FOUND')) {
      for (const suffix of ['.js', '/index.js']) {
        try {
          return await next(specifier + suffix, context);
        } catch {}
      }
    }
    throw e;
  }
}
