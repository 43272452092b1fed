// Baseline: a steady 200 req/s for 2 minutes, the everyday load. Arrival-rate executors keep the rate
// fixed whatever the latency, so a slow server shows up as latency and dropped iterations.
import { mix, setup as checkApi, thresholds } from './lib.js';

export const options = {
  scenarios: {
    baseline: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 200), timeUnit: '1s', duration: __ENV.DURATION || '2m',
      preAllocatedVUs: 50, maxVUs: 200,
    },
  },
  thresholds,
};

export const setup = checkApi;
export default mix;
