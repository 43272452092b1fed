// npx node loadtest/flags-eval.ts (Node 24): the in-process cost of evaluating one flag with a 1,000-user allow
// list (what `npm run bench -- --only flags` also prints), and of a flag of 3 strategies x 4 constraints with 3
// weighted variants (loadtest/lib/flags-rules-bench.ts).
import { flagsMicroBench } from './lib/flags-steps.ts';
import { flagsRulesBench } from './lib/flags-rules-bench.ts';

const r = flagsMicroBench();
console.log(`one targeting flag, 1,000-user allow list, ${r.evaluations.toLocaleString('en-US')} evaluations per round, best of ${r.runs.length}:`);
console.log(`  evaluate():            ${r.nsPerEvaluation.toFixed(1)} ns per evaluation (rounds: ${r.runs.map((x) => x.toFixed(1)).join(', ')})`);
console.log(`  evaluate() + counting: ${r.nsPerEvaluationCounted.toFixed(1)} ns per evaluation`);

const rules = flagsRulesBench();
console.log(`one flag of 3 strategies x 4 constraints with 3 weighted variants, ${rules.evaluations.toLocaleString('en-US')} evaluations per round:`);
console.log(`  evaluate():            ${rules.nsPerEvaluation.toFixed(1)} ns per evaluation (${rules.cpuNsPerEvaluation.toFixed(1)} ns of CPU)`);
