// Deprecated no-op, kept so that `node --import @tnzip/layers/node-register app.js` keeps working.
//
// It used to register a resolve hook for tfjs-core's gradient registrations. @tnzip/layers now
// ships those registrations bundled into a file plain Node loads (vendor/tfjs-core-gradients.js,
// chosen through package.json "imports"), so `import '@tnzip/layers'` and `require('@tnzip/layers')`
// work with no flags. Drop the `--import` from your command line; this entry will be removed in
// the next major version.
export {};
