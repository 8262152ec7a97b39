/**
 * Ends this process when the `tnzip` wrapper that started it dies, even by SIGKILL (which it cannot
 * forward): the wrapper opens an IPC channel, whose disconnection the child sees at once, and the
 * child also polls its parent pid (a re-parented orphan gets a new one). Either way the child sends
 * itself SIGTERM. Neither the channel nor the timer keeps the process alive.
 */
export function exitWithParent(pollMs = 500): void {
  const parent = process.ppid;
  const die = (): void => {
    process.kill(process.pid, 'SIGTERM');
  };
  if (process.channel !== undefined) {
    process.channel.unref();
    process.once('disconnect', die);
  }
  const timer = setInterval(() => {
    if (process.ppid !== parent) die();
  }, pollMs);
  timer.unref();
}
