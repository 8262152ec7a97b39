import { describe, expect, it } from 'vitest';
import { UsageError } from '../exit-codes.js';
import { queueTarget, redactQueueArgv } from './queued-sweep.js';

describe('sweep --queue flags', () => {
  it('redacts the password of a --queue URL in the recorded argv, and only that', () => {
    expect(
      redactQueueArgv([
        'sweep',
        '--queue',
        'redis://:s3cr%40t@10.0.0.1:6379/2',
        '--queue=redis://me:pw@h:1',
        'redis://h:6379/0',
        '--out',
        'runs',
      ]),
    ).toEqual([
      'sweep',
      '--queue',
      'redis://:***@10.0.0.1:6379/2',
      '--queue=redis://me:***@h:1',
      'redis://h:6379/0',
      '--out',
      'runs',
    ]);
  });

  it('checks --attempts and the URL before connecting; no --queue: null', async () => {
    await expect(queueTarget({})).resolves.toBeNull();
    await expect(queueTarget({ queue: 'redis://h:1', attempts: '0' })).rejects.toThrow(
      /--attempts must be an integer in \[1, 10\]/,
    );
    await expect(queueTarget({ queue: 'redis://h' })).rejects.toThrow(UsageError);
  });
});
