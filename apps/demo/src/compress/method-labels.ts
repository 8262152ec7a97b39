import type { MethodName } from './protocol.js';

/** Display names of the methods, in the order the view lists them (the page's bundle needs no selector code). */
export const METHOD_LABELS: Readonly<Record<MethodName, string>> = {
  energy: 'Energy threshold',
  vbmf: 'VBMF (scaled)',
  greedy: 'Greedy by singular value',
  lwiq: 'LWIQ (scored on the MNIST samples)',
};
