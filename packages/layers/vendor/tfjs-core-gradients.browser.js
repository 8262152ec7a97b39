// Browser stand-in for tfjs-core-gradients.js (package.json "browser"): bundlers resolve
// tfjs-core's own ES build, so the page holds one copy of tfjs-core. Written by
// scripts/bundle-tfjs-gradients.mjs.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
