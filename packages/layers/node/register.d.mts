// Deprecated no-op side-effect module (see register.mjs).
export {};
