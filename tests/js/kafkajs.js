// kafkajs through the gateway, run by GatewayTests: node kafkajs.js BOOTSTRAP TOPIC VALID_HEX INVALID_HEX NEXT_HEX
// An idempotent producer sends a valid record, an invalid one (which the gateway refuses), then another valid one.
// Prints one JSON object: the cluster's controller id and brokers as the admin client sees them, and each send's outcome.
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [bootstrap, topic, validHex, invalidHex, nextHex] = process.argv.slice(2);
  const kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 } });
  const result = {};

  const admin = kafka.admin();
  await admin.connect();
  const cluster = await admin.describeCluster();
  result.controller = cluster.controller;
  result.brokers = cluster.brokers.map(b => b.nodeId);
  await admin.disconnect();

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const send = async hex => {
    try {
      await producer.send({ topic, acks: -1, messages: [{ value: Buffer.from(hex, 'hex') }] });
      return { ok: true };
    } catch (e) {
      const cause = e.cause || e;
      return { ok: false, name: e.name, type: cause.type, code: cause.code, retriable: cause.retriable, message: e.message };
    }
  };
  result.valid = await send(validHex);
  result.invalid = await send(invalidHex);
  result.next = await send(nextHex);
  await producer.disconnect();
  console.log(JSON.stringify(result));
}

main().catch(e => {
  console.error(e.stack || String(e));
  process.exit(1);
});
