/**
 * ADA/SCADA-Tucker on LeNet-5 (Caffe 20-50-500-10), real MNIST (see ada-run.ts for flags). Run from
 * packages/ranks:
 * node --import tsx --import @tnzip/layers/node-register --conditions=@tnzip/source experiments/ada-lenet5.ts
 */
const { main } = await import('./ada-run.js');
await main('lenet5');
