// Stress: step up 500 → 1,000 → 2,000 → 3,000 req/s, 2 minutes each, above the expected production load.
import { mix, setup as checkApi, thresholds } from './lib.js';

export const options = {
  scenarios: {
    stress: {
      executor: 'ramping-arrival-rate',
      startRate: 100, timeUnit: '1s', preAllocatedVUs: 100, maxVUs: 1000,
      stages: [
        { target: 500, duration: '30s' }, { target: 500, duration: '2m' },
        { target: 1000, duration: '30s' }, { target: 1000, duration: '2m' },
        { target: 2000, duration: '30s' }, { target: 2000, duration: '2m' },
        { target: 3000, duration: '30s' }, { target: 3000, duration: '2m' },
        { target: 0, duration: '30s' },
      ],
    },
  },
  thresholds,
};

export const setup = checkApi;
export default mix;
