// The evaluator's semver lives in @flagmeter/sdk (sdk/node/src/local/), so that the server and the SDK's
// local evaluation run one implementation; the server imports it from there.
export * from '../../sdk/node/src/local/semver.ts';
