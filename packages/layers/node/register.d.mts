// Side-effect module: registers the tfjs-core resolve hook (see register.mjs).
export {};
