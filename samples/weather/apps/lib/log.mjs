// Structured logs: one JSON object per line on stdout ({time, level, service, version, pod, msg, ...}),
// so `weftctl local logs POD` and `kubectl logs` show them as they are.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger({ service, version, pod, logLevel = 'info' }, write = (line) => process.stdout.write(line)) {
  const threshold = LEVELS[logLevel] ?? LEVELS.info;
  const emit = (level) => (msg, fields = {}) => {
    if (LEVELS[level] < threshold) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, service, version, pod, msg, ...fields })}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
