// `pilot-agent proxy sidecar|router`: not built yet (placeholder until the agent lands).
import type { Command } from '@weft/base';

export const proxyCommand: Command = {
  name: 'proxy',
  summary: 'Run weft-proxy as a sidecar or router (not built yet)',
  run: async (_flags, io) => {
    io.stderr('pilot-agent proxy: not built yet\n');
    return 1;
  },
};
