// Breakpoint: raise the arrival rate steadily until the thresholds break, then stop. The rate at
// which it aborted is the capacity under this mix.
import { mix, setup as checkApi } from './lib.js';

export const options = {
  scenarios: {
    breakpoint: {
      executor: 'ramping-arrival-rate',
      startRate: 100, timeUnit: '1s', preAllocatedVUs: 200, maxVUs: 2000,
      stages: [{ target: Number(__ENV.MAX_RATE || 20000), duration: __ENV.DURATION || '10m' }],
    },
  },
  thresholds: {
    http_req_duration: [{ threshold: 'p(99)<=200', abortOnFail: true, delayAbortEval: '10s' }],
    http_req_failed: [{ threshold: 'rate<0.001', abortOnFail: true, delayAbortEval: '10s' }],
  },
};

export const setup = checkApi;
export default mix;
