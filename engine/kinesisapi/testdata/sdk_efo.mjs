// The enhanced fan-out scenario of subscribe_test.go for the JavaScript SDK v3: run as `node sdk_efo.mjs
// <endpoint>`. It registers a consumer, subscribes to a shard over the client's default HTTP/2 handler (h2c here),
// and must receive every record put before and during the session, in order; exits non-zero on the first failure.
import {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordCommand, RegisterStreamConsumerCommand,
  DescribeStreamConsumerCommand, SubscribeToShardCommand, DeregisterStreamConsumerCommand,
} from "@aws-sdk/client-kinesis";

const endpoint = process.argv[2];
const client = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
});
const StreamName = "js-efo";
const fail = (msg) => { console.error(msg); process.exit(1); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await client.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
let summary;
for (let i = 0; i < 200; i++) {
  summary = (await client.send(new DescribeStreamSummaryCommand({ StreamName }))).StreamDescriptionSummary;
  if (summary.StreamStatus === "ACTIVE") break;
  await sleep(20);
}
const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: summary.StreamARN, ConsumerName: "js-app" }));
for (let i = 0; ; i++) {
  const d = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
  if (d.ConsumerDescription.ConsumerStatus === "ACTIVE") break;
  if (i > 200) fail("consumer never became ACTIVE");
  await sleep(20);
}

const total = 60;
const put = (i) => client.send(new PutRecordCommand({ StreamName, PartitionKey: "k", Data: new TextEncoder().encode(`r-${i}`) }));
for (let i = 0; i < total / 2; i++) await put(i);

const sub = await client.send(new SubscribeToShardCommand({
  ConsumerARN: Consumer.ConsumerARN, ShardId: "shardId-000000000000", StartingPosition: { Type: "TRIM_HORIZON" },
}));
const producing = (async () => { for (let i = total / 2; i < total; i++) await put(i); })();
const timer = setTimeout(() => fail("timed out waiting for events"), 30000);
let got = 0, events = 0;
for await (const ev of sub.EventStream) {
  if (!ev.SubscribeToShardEvent) continue;
  events++;
  for (const r of ev.SubscribeToShardEvent.Records) {
    const data = new TextDecoder().decode(r.Data);
    if (data !== `r-${got}`) fail(`record ${got} is ${data}`);
    got++;
  }
  if (!ev.SubscribeToShardEvent.ContinuationSequenceNumber) fail("an event without a continuation sequence number");
  if (got === total) break;
}
clearTimeout(timer);
await producing;
if (got !== total) fail(`received ${got} of ${total} records`);
await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
console.log(`received ${got} records in ${events} events`);
process.exit(0);
