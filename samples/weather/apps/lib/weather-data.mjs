// Made-up but stable weather: the same city on the same day always gets the same forecast, so
// answers from different pods and versions can be compared.
import { createHash } from 'node:crypto';

export const CONDITIONS = ['Sunny', 'Cloudy', 'Rain', 'Snow', 'Windy', 'Fog'];

function seed(text) {
  return createHash('sha256').update(text).digest();
}

/** `days` days from `today` (a Date), as [{date, condition, high, low}] in °C. */
export function forecastFor(city, today, days) {
  const out = [];
  for (let i = 0; i < days; i++) {
    const date = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + i)).toISOString().slice(0, 10);
    const b = seed(`${city.toLowerCase()}|${date}`);
    const condition = CONDITIONS[b[0] % CONDITIONS.length];
    const low = (b[1] % 30) - (condition === 'Snow' ? 15 : 5);
    out.push({ date, condition, high: low + 3 + (b[2] % 10), low });
  }
  return out;
}

const ADVICE = {
  Sunny: 'Sunglasses and sunscreen.',
  Cloudy: 'A light jacket will do.',
  Rain: 'Take an umbrella.',
  Snow: 'Boots, gloves and a warm coat.',
  Windy: 'A windproof jacket; leave the umbrella at home.',
  Fog: 'Leave early: traffic is slow in fog.',
};
const ACTIVITIES = {
  Sunny: ['cycling', 'a picnic'],
  Cloudy: ['a museum', 'a long walk'],
  Rain: ['the cinema', 'a café'],
  Snow: ['skiing', 'hot chocolate'],
  Windy: ['kite flying', 'a bookshop'],
  Fog: ['a gallery', 'board games'],
};

export function adviceFor(condition) {
  return ADVICE[condition] ?? 'Check the sky before you leave.';
}

export function activitiesFor(condition) {
  return ACTIVITIES[condition] ?? [];
}
