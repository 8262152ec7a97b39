// Side-effect module: registers tfjs-core's gradients (see tfjs-core-gradients.js).
export {};
