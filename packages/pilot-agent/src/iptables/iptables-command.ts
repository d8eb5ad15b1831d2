// `pilot-agent istio-iptables`: not built yet (placeholder until the capture step lands).
import type { Command } from '@weft/base';

export const iptablesCommand: Command = {
  name: 'istio-iptables',
  summary: 'Write the iptables rules that capture a pod\'s traffic (not built yet)',
  run: async (_flags, io) => {
    io.stderr('pilot-agent istio-iptables: not built yet\n');
    return 1;
  },
};
