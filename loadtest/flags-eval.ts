// npx node loadtest/flags-eval.ts (Node 24): the in-process cost of evaluating one flag with a 1,000-user allow
// list, and of a flag of 3 strategies x 4 constraints with 3 weighted variants (loadtest/lib/flags-rules-bench.ts),
// each with and without the evaluation counter, and the counter alone: what `npm run bench -- --only flags-eval`
// prints, without starting PostgreSQL.
import { flagsMicroBench } from './lib/flags-steps.ts';
import { flagsRulesBench } from './lib/flags-rules-bench.ts';
import { loadavg } from 'node:os';

console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const r = flagsMicroBench();
console.log(`one targeting flag, 1,000-user allow list, ${r.evaluations.toLocaleString('en-US')} evaluations per round, best of ${r.runs.length}:`);
console.log(`  evaluate():            ${r.nsPerEvaluation.toFixed(1)} ns per evaluation (rounds: ${r.runs.map((x) => x.toFixed(1)).join(', ')})`);
console.log(`  evaluate() + counting: ${r.nsPerEvaluationCounted.toFixed(1)} ns per evaluation`);

const rules = flagsRulesBench();
console.log(`one flag of 3 strategies x 4 constraints with 3 weighted variants, ${rules.evaluations.toLocaleString('en-US')} evaluations per round:`);
console.log(`  evaluate():            ${rules.nsPerEvaluation.toFixed(1)} ns per evaluation (${rules.cpuNsPerEvaluation.toFixed(1)} ns of CPU)`);
console.log(`  evaluate() + counting: ${rules.nsPerEvaluationCounted.toFixed(1)} ns per evaluation (${rules.cpuNsPerEvaluationCounted.toFixed(1)} ns of CPU)`);
console.log(`  the counter alone:     ${rules.nsPerCount.toFixed(1)} ns per count (${rules.cpuNsPerCount.toFixed(1)} ns of CPU)`);
console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
