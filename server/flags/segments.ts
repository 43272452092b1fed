// Segment scopes live in @flagmeter/sdk (sdk/node/src/local/segments.ts): the server's flag store
// and the SDK's local evaluation resolve a strategy's segments the same way.
export { segmentScopes } from '../../sdk/node/src/local/segments.ts';
