// recommendation: GET /recommendation?condition=Rain → {service: 'recommendation', version, advice};
// v2 adds activities. Called only by forecast v2.
import { configOrExit } from './lib/config.mjs';
import { createLogger } from './lib/log.mjs';
import { startHttpService } from './lib/http-service.mjs';
import { activitiesFor, adviceFor } from './lib/weather-data.mjs';

const config = configOrExit(process.env, { service: 'recommendation', defaultPort: 3005 });
const log = createLogger(config);

startHttpService(config, log, {
  controls: true,
  routes: {
    '/recommendation': async ({ url }) => {
      const condition = url.searchParams.get('condition') ?? 'Sunny';
      const json = { condition, advice: adviceFor(condition) };
      return { json: config.version === 'v1' ? json : { ...json, activities: activitiesFor(condition) } };
    },
  },
});
