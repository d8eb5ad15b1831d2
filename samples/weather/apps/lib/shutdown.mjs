// Graceful stop on SIGTERM (what the kubelet sends) and SIGINT (Ctrl-C): stop accepting, let what is
// in flight finish, exit 0. Whatever is still open after the deadline is closed and the exit code is 1.
export function onShutdown({ log, timeoutMs }, { drain, force }) {
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal, timeoutMs });
    const deadline = setTimeout(() => {
      log.warn('shutdown deadline reached; closing what is still open', { timeoutMs });
      force();
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    drain().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (e) => {
        log.error('shutdown failed', { error: e.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return { get stopping() { return stopping; } };
}
