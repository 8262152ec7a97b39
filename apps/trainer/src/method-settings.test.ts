import { describe, expect, it } from 'vitest';
import { METHOD_FLAGS } from './method-flags.js';
import { flagOf, methodSettings } from './method-settings.js';
import { DEFAULT_KNOBS, METHODS } from './methods.js';

describe('methodSettings', () => {
  it('names the knobs a method reads that are off their defaults, as the flags that set them', () => {
    const knobs = { ...DEFAULT_KNOBS, batudeLambda: 0, batudeEpochs: 5, lwiqTemplate: 'spectrum' as const };
    expect(methodSettings('batude', knobs)).toBe('--batude-lambda 0 --batude-epochs 5');
    expect(methodSettings('lwiq', knobs)).toBe('--lwiq-template spectrum');
    expect(methodSettings('proxy-search', knobs)).toBe('--lwiq-template spectrum');
    // A method that reads none of them, every knob at its default, or a run config without knobs.
    expect(methodSettings('energy', knobs)).toBeUndefined();
    expect(methodSettings('batude', DEFAULT_KNOBS)).toBeUndefined();
    expect(methodSettings('batude', undefined)).toBeUndefined();
  });

  it('every knob a method declares is a flag of compress and sweep', () => {
    for (const [name, m] of Object.entries(METHODS))
      for (const k of m.knobs ?? []) {
        expect(METHOD_FLAGS[flagOf(k)], `${name}: ${k}`).toBeDefined();
      }
  });
});
