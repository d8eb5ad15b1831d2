// frontend: GET / is the Weather Forecast page; GET /api/dashboard?city=NAME asks advertisement and
// forecast (at the same time) and answers {service: 'frontend', version, ..., backends: {advertisement,
// forecast}, errors: {}}. When any backend call fails (non-2xx, timeout, refused or reset) the answer
// is 502 and `errors` names each failed backend with its status, so a load test that counts non-2xx
// answers sees every failed call behind it. ?delay, ?fail and ?failPercent are passed on to forecast.
import { configOrExit } from './lib/config.mjs';
import { createLogger } from './lib/log.mjs';
import { startHttpService } from './lib/http-service.mjs';
import { forwardedHeaders } from './lib/propagation.mjs';
import { getJson } from './lib/upstream.mjs';
import { dashboardPage } from './lib/dashboard-page.mjs';

const config = configOrExit(process.env, {
  service: 'frontend',
  defaultPort: 3000,
  backends: { ADVERTISEMENT_URL: 'http://advertisement:3003/ad', FORECAST_URL: 'http://forecast:3002/forecast' },
});
const log = createLogger(config);
const PASSED_TO_FORECAST = ['delay', 'fail', 'failPercent'];

async function dashboard({ req, url, requestId }) {
  const city = url.searchParams.get('city') || 'Shenzhen';
  const headers = forwardedHeaders(req, requestId);
  const forecastUrl = new URL(config.backends.FORECAST_URL);
  forecastUrl.searchParams.set('city', city);
  for (const name of PASSED_TO_FORECAST) if (url.searchParams.has(name)) forecastUrl.searchParams.set(name, url.searchParams.get(name));
  const calls = { advertisement: config.backends.ADVERTISEMENT_URL, forecast: forecastUrl.href };
  const results = await Promise.all(Object.entries(calls).map(async ([name, target]) => [name, await getJson(target, { headers, timeoutMs: config.upstreamTimeoutMs })]));
  const backends = {};
  const errors = {};
  for (const [name, r] of results) {
    if (r.ok) backends[name] = r.body;
    else {
      errors[name] = { backend: name, url: r.url, status: r.status, error: r.error, ...(r.detail !== undefined ? { detail: r.detail } : {}) };
      log.warn('backend failed', { backend: name, status: r.status, error: r.error, requestId });
    }
  }
  const failed = Object.keys(errors);
  return { status: failed.length ? 502 : 200, json: { city, backends, errors, ...(failed.length ? { error: `backend call failed: ${failed.map((n) => `${n} (${errors[n].status || errors[n].error})`).join(', ')}` } : {}) } };
}

startHttpService(config, log, {
  generateRequestId: true,
  routes: {
    '/': async () => ({ html: dashboardPage(config) }),
    '/index.html': async () => ({ html: dashboardPage(config) }),
    '/api/dashboard': dashboard,
  },
});
