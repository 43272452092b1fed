// npx node loadtest/flags-eval.ts (Node 24): the in-process cost of evaluating one flag with a 1,000-user allow
// list (what `npm run bench -- --only flags` also prints).
import { flagsMicroBench } from './lib/flags-steps.ts';

const r = flagsMicroBench();
console.log(`one targeting flag, 1,000-user allow list, ${r.evaluations.toLocaleString('en-US')} evaluations per round, best of ${r.runs.length}:`);
console.log(`  evaluate():            ${r.nsPerEvaluation.toFixed(1)} ns per evaluation (rounds: ${r.runs.map((x) => x.toFixed(1)).join(', ')})`);
console.log(`  evaluate() + counting: ${r.nsPerEvaluationCounted.toFixed(1)} ns per evaluation`);
