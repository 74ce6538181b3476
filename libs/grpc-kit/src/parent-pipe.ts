/**
 * How a child learns that the process that started it (lth run) is gone, even by SIGKILL, which
 * it cannot forward: the parent holds the write end of the child's stdin open and never writes;
 * when the parent dies, the OS closes it and stdin ends. Only when the parent says so: in a pod,
 * stdin is /dev/null and ends at once.
 */
export const PARENT_PIPE_ENV = 'LTH_PARENT_PIPE';

/** Calls `onGone` once when the parent's pipe closes; never keeps the process alive by itself. */
export function onParentGone(onGone: () => void): void {
  if (process.env[PARENT_PIPE_ENV] !== 'stdin') return;
  let called = false;
  const gone = () => {
    if (called) return;
    called = true;
    onGone();
  };
  process.stdin.once('end', gone);
  process.stdin.once('close', gone);
  process.stdin.on('data', () => undefined); // nothing is sent; reading is how the end is seen
  (process.stdin as { unref?: () => void }).unref?.();
}
