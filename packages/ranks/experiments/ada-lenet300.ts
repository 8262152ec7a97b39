/**
 * ADA/SCADA-Tucker on LeNet-300-100, real MNIST (see ada-run.ts for flags). Run from packages/ranks:
 * node --import tsx --import @tnzip/layers/node-register --conditions=@tnzip/source experiments/ada-lenet300.ts
 */
const { main } = await import('./ada-run.js');
await main('lenet300');
