// Soak: a moderate 500 req/s for an hour (SOAK_DURATION), to catch leaks, growing latency and
// partition/rollup growth effects that short runs do not show.
import { mix, setup as checkApi, thresholds } from './lib.js';

export const options = {
  scenarios: {
    soak: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 500), timeUnit: '1s', duration: __ENV.SOAK_DURATION || '1h',
      preAllocatedVUs: 100, maxVUs: 500,
    },
  },
  thresholds,
};

export const setup = checkApi;
export default mix;
