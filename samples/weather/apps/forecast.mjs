// forecast: GET /forecast?city=NAME → {service: 'forecast', version, city, days: [...]}. v1 answers on
// its own; every other version also asks recommendation (RECOMMENDATION_URL) for advice on today's
// weather and includes its whole answer as `recommendation`; if that call fails, forecast answers 502
// naming it. ?delay=ms, ?fail=code and ?failPercent=p act before anything else (lib/http-service.mjs).
import { configOrExit } from './lib/config.mjs';
import { createLogger } from './lib/log.mjs';
import { startHttpService } from './lib/http-service.mjs';
import { forwardedHeaders } from './lib/propagation.mjs';
import { getJson } from './lib/upstream.mjs';
import { forecastFor } from './lib/weather-data.mjs';

const config = configOrExit(process.env, {
  service: 'forecast',
  defaultPort: 3002,
  backends: { RECOMMENDATION_URL: 'http://recommendation:3005/recommendation' },
});
const log = createLogger(config);
const withRecommendation = config.version !== 'v1';

startHttpService(config, log, {
  controls: true,
  routes: {
    '/forecast': async ({ req, url, requestId }) => {
      const city = url.searchParams.get('city') || 'Shenzhen';
      const days = forecastFor(city, new Date(), withRecommendation ? 5 : 3);
      const json = { city, days };
      if (!withRecommendation) return { json };
      const target = new URL(config.backends.RECOMMENDATION_URL);
      target.searchParams.set('condition', days[0].condition);
      const r = await getJson(target.href, { headers: forwardedHeaders(req, requestId), timeoutMs: config.upstreamTimeoutMs });
      if (!r.ok) {
        log.warn('backend failed', { backend: 'recommendation', status: r.status, error: r.error, requestId });
        return { status: 502, json: { ...json, errors: { recommendation: { backend: 'recommendation', url: r.url, status: r.status, error: r.error, ...(r.detail !== undefined ? { detail: r.detail } : {}) } } } };
      }
      return { json: { ...json, recommendation: r.body } };
    },
  },
});
