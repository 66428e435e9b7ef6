// The JavaScript SDK v3 scenario of sdk_node_test.go: run as `node sdk_e2e.mjs <endpoint>`; exits non-zero with a
// message on the first failure. The client keeps its default HTTP/2 handler, so this also proves h2c works.
import {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand, PutRecordCommand,
  ListShardsCommand, GetShardIteratorCommand, GetRecordsCommand, SplitShardCommand, MergeShardsCommand,
  DeleteStreamCommand, ResourceNotFoundException,
} from "@aws-sdk/client-kinesis";

const endpoint = process.argv[2];
const client = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
});
const StreamName = "js-sdk-stream";
const fail = (msg) => { console.error(msg); process.exit(1); };
// Limits are on, as `shardlab serve` has them: reads past 5 calls/s per shard are throttled, and like any real
// consumer this one backs off and retries.
let readThrottles = 0;
async function send(cmd) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.send(cmd);
    } catch (e) {
      if (e.name !== "ProvisionedThroughputExceededException" || cmd instanceof PutRecordCommand || attempt > 20) throw e;
      readThrottles++;
      await new Promise((r) => setTimeout(r, 50 * 2 ** Math.min(attempt, 4)));
    }
  }
}

async function waitActive() {
  for (let i = 0; i < 200; i++) {
    const d = await send(new DescribeStreamSummaryCommand({ StreamName }));
    if (d.StreamDescriptionSummary.StreamStatus === "ACTIVE") return;
    await new Promise((r) => setTimeout(r, 20));
  }
  fail("stream never became ACTIVE");
}

async function readShard(ShardId, type, extra = {}) {
  const { ShardIterator } = await send(new GetShardIteratorCommand({ StreamName, ShardId, ShardIteratorType: type, ...extra }));
  const out = [];
  let it = ShardIterator, children = [];
  while (it) {
    const r = await send(new GetRecordsCommand({ ShardIterator: it }));
    for (const rec of r.Records) out.push({ key: rec.PartitionKey, data: Buffer.from(rec.Data).toString(), seq: rec.SequenceNumber, at: rec.ApproximateArrivalTimestamp });
    if (r.MillisBehindLatest === undefined) fail("GetRecords lacks MillisBehindLatest");
    children = r.ChildShards ?? [];
    if (r.Records.length === 0 && r.NextShardIterator) break;
    it = r.NextShardIterator;
  }
  return { records: out, ended: !it, children };
}

await send(new CreateStreamCommand({ StreamName, ShardCount: 2 }));
await waitActive();

const Records = [];
for (let i = 0; i < 100; i++) Records.push({ PartitionKey: `user-${i % 10}`, Data: Buffer.from(`event-${String(i).padStart(3, "0")}`) });
const put = await send(new PutRecordsCommand({ StreamName, Records }));
if (put.FailedRecordCount !== 0 || put.Records.length !== 100) fail(`PutRecords: ${JSON.stringify(put)}`);

// Every iterator type.
const first = put.Records[0];
const all = await readShard(first.ShardId, "TRIM_HORIZON");
if (all.records.length === 0 || !(all.records[0].at instanceof Date)) fail("TRIM_HORIZON read nothing, or no Date timestamps");
const at = await readShard(first.ShardId, "AT_SEQUENCE_NUMBER", { StartingSequenceNumber: first.SequenceNumber });
if (at.records[0].seq !== first.SequenceNumber) fail("AT_SEQUENCE_NUMBER did not start at the number");
const after = await readShard(first.ShardId, "AFTER_SEQUENCE_NUMBER", { StartingSequenceNumber: first.SequenceNumber });
if (after.records.length !== at.records.length - 1) fail("AFTER_SEQUENCE_NUMBER did not skip exactly one record");
const ts = await readShard(first.ShardId, "AT_TIMESTAMP", { Timestamp: new Date(Date.now() - 60_000) });
if (ts.records.length !== all.records.length) fail("AT_TIMESTAMP a minute ago missed records");
const latest = await readShard(first.ShardId, "LATEST");
if (latest.records.length !== 0) fail("LATEST returned old records");

// Split and merge, then read everything through the lineage, parents first.
const shards = (await send(new ListShardsCommand({ StreamName }))).Shards;
const s0 = shards[0];
const mid = (BigInt(s0.HashKeyRange.StartingHashKey) + BigInt(s0.HashKeyRange.EndingHashKey) + 1n) / 2n;
await send(new SplitShardCommand({ StreamName, ShardToSplit: s0.ShardId, NewStartingHashKey: mid.toString() }));
await waitActive();
for (let i = 100; i < 150; i++) await send(new PutRecordCommand({ StreamName, PartitionKey: `user-${i % 10}`, Data: Buffer.from(`event-${i}`) }));
const open = (await send(new ListShardsCommand({ StreamName, ShardFilter: { Type: "AT_LATEST" } }))).Shards;
let pair;
for (const a of open) for (const b of open) if (BigInt(a.HashKeyRange.EndingHashKey) + 1n === BigInt(b.HashKeyRange.StartingHashKey)) pair = [a, b];
if (!pair) fail("no adjacent open shards after the split");
await send(new MergeShardsCommand({ StreamName, ShardToMerge: pair[0].ShardId, AdjacentShardToMerge: pair[1].ShardId }));
await waitActive();

const lineage = (await send(new ListShardsCommand({ StreamName }))).Shards;
const done = new Set(), perKey = {};
while (done.size < lineage.length) {
  let progressed = false;
  for (const s of lineage) {
    if (done.has(s.ShardId)) continue;
    if ((s.ParentShardId && !done.has(s.ParentShardId)) || (s.AdjacentParentShardId && !done.has(s.AdjacentParentShardId))) continue;
    const r = await readShard(s.ShardId, "TRIM_HORIZON");
    for (const rec of r.records) (perKey[rec.key] ??= []).push(rec.data);
    done.add(s.ShardId); progressed = true;
  }
  if (!progressed) fail("lineage never completes");
}
let total = 0;
for (const [key, events] of Object.entries(perKey)) {
  const sorted = [...events].sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  if (events.join() !== sorted.join()) fail(`key ${key} out of order: ${events}`);
  total += events.length;
}
if (total !== 150) fail(`read ${total} records through the lineage, want 150`);

// Partial failure: one record over the 256-character key limit fails the call as a whole with a validation
// error naming the member; throttling (limits are on) fails records one by one.
try {
  await send(new PutRecordsCommand({ StreamName, Records: [{ PartitionKey: "x".repeat(257), Data: Buffer.from("x") }] }));
  fail("a 257-character key was accepted");
} catch (e) {
  if (e.name !== "ValidationException" || !e.message.includes("records.1.member.partitionKey")) fail(`bad key: ${e.name} ${e.message}`);
}
const many = Array.from({ length: 500 }, (_, i) => ({ PartitionKey: "hot", Data: Buffer.from(`${i}`) }));
let throttled = 0;
for (let i = 0; i < 10; i++) { // 5,000 records: far over 1,000 records/s however slowly they are sent
  const r = await send(new PutRecordsCommand({ StreamName, Records: many }));
  throttled += r.Records.filter((x) => x.ErrorCode === "ProvisionedThroughputExceededException").length;
}
if (throttled < 1000) fail(`only ${throttled} of 5,000 records on one hot key throttled`);

await send(new DeleteStreamCommand({ StreamName }));
for (let i = 0; ; i++) {
  try {
    await send(new DescribeStreamSummaryCommand({ StreamName }));
  } catch (e) {
    if (e instanceof ResourceNotFoundException) break;
    throw e;
  }
  if (i > 200) fail("stream was never deleted");
  await new Promise((r) => setTimeout(r, 20));
}
console.log(`ok (${readThrottles} throttled reads retried)`);
client.destroy();
