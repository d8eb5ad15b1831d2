// advertisement: GET /ad → {service: 'advertisement', version, ad: {id, text}}, one ad after the other.
import { configOrExit } from './lib/config.mjs';
import { createLogger } from './lib/log.mjs';
import { startHttpService } from './lib/http-service.mjs';

const ADS = [
  { id: 'umbrella', text: 'Stay dry: umbrellas 20% off this week.' },
  { id: 'sunscreen', text: 'SPF 50, because the forecast says so.' },
  { id: 'boots', text: 'Winter boots for every kind of weather.' },
  { id: 'kite', text: 'Windy tomorrow? Fly a kite.' },
];

const config = configOrExit(process.env, { service: 'advertisement', defaultPort: 3003 });
const log = createLogger(config);
let next = 0;

startHttpService(config, log, {
  controls: true,
  routes: {
    '/ad': async () => ({ json: { ad: ADS[next++ % ADS.length] } }),
  },
});
