// Client-side field-level encryption with the official Confluent client (@confluentinc/schemaregistry), run by
// Registry.Server.Tests. Usage: node csfle.js <registry url> <produce|consume> <AVRO|JSON> <topic> [hex]
// produce prints the serialized record as hex; consume reads it from the argument and prints the record as JSON.
// Produce and consume run as separate processes, so the consumer's caches are cold, as a real consumer's are.
// CSFLE_DAYS_AHEAD runs the encryption executors' clock that many days ahead (to pass a DEK's expiry).
'use strict';
const sr = require('@confluentinc/schemaregistry');

const daysAhead = Number(process.env.CSFLE_DAYS_AHEAD || 0);
const clock = { now: () => Date.now() + daysAhead * 24 * 60 * 60 * 1000 };
sr.FieldEncryptionExecutor.registerWithClock(clock);
sr.EncryptionExecutor.registerWithClock(clock);
sr.LocalKmsDriver.register();

async function main() {
  const [url, mode, format, topic, hex] = process.argv.slice(2);
  const client = sr.SchemaRegistryClient.newClient({ baseURLs: [url], cacheCapacity: 1000 });
  const ruleConfig = { secret: process.env.CSFLE_SECRET || 'mysecret' };
  const Serializer = format === 'JSON' ? sr.JsonSerializer : sr.AvroSerializer;
  const Deserializer = format === 'JSON' ? sr.JsonDeserializer : sr.AvroDeserializer;
  if (mode === 'produce') {
    const ser = new Serializer(client, sr.SerdeType.VALUE, { useLatestVersion: true, ruleConfig });
    const record = { name: 'Ada Lovelace', ssn: '123-45-6789', age: 36 };
    const bytes = await ser.serialize(topic, record);
    process.stdout.write(Buffer.from(bytes).toString('hex'));
  } else {
    const deser = new Deserializer(client, sr.SerdeType.VALUE, { ruleConfig });
    const record = await deser.deserialize(topic, Buffer.from(hex, 'hex'));
    process.stdout.write(JSON.stringify(record));
  }
}

main().catch(e => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
