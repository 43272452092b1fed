// Spike: from 100 req/s to 2,000 req/s in 10 s, hold 1 minute, drop back, and see it recover.
import { mix, setup as checkApi, thresholds } from './lib.js';

const PEAK = Number(__ENV.PEAK || 2000);

export const options = {
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      startRate: 100, timeUnit: '1s', preAllocatedVUs: 100, maxVUs: 1000,
      stages: [
        { target: 100, duration: '30s' },
        { target: PEAK, duration: '10s' },
        { target: PEAK, duration: '1m' },
        { target: 100, duration: '10s' },
        { target: 100, duration: '1m' },
      ],
    },
  },
  thresholds,
};

export const setup = checkApi;
export default mix;
