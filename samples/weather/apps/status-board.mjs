// status-board: GET / → {service: 'status-board', version, message}. Its pod runs without a sidecar
// (sidecar.istio.io/inject: "false"), to show a meshed client calling a workload outside the mesh.
import { configOrExit } from './lib/config.mjs';
import { createLogger } from './lib/log.mjs';
import { startHttpService } from './lib/http-service.mjs';

const config = configOrExit(process.env, { service: 'status-board', defaultPort: 3010 });
const log = createLogger(config);
const started = new Date().toISOString();

startHttpService(config, log, {
  controls: true,
  routes: {
    '/': async () => ({ json: { message: 'all Weather services are listed in /api/dashboard of the frontend', started } }),
  },
});
