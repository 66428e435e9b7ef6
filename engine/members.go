package engine

import "slices"

// The engine's Go API takes "" for a string member that was not given, as Go's zero value. On the wire, AWS tells
// three inputs apart: a member absent, null, or sent as "". An empty string is validated against the member's
// model constraints (its pattern, its minimum length), so {"StreamName": ""} is a ValidationException naming
// streamName, not the "Either StreamName or StreamARN must be provided" of an absent one. The wire layers see
// what was sent and report it through MemberErrors; the constraints stay here, beside the rest of the wording.

// memberRule is one string member's constraints in the Kinesis API model.
type memberRule struct {
	name    string // as sent: StreamName
	pattern string // "" for none
	minLen  int
	enum    []string
}

// memberRules is in the order the messages list them.
var memberRules = []memberRule{
	{name: "StreamName", pattern: streamNamePattern, minLen: 1},
	{name: "StreamARN", pattern: streamARNPattern, minLen: 1},
	{name: "ConsumerName", pattern: consumerNamePattern, minLen: 1},
	{name: "ConsumerARN", pattern: consumerARNPattern, minLen: 1},
	{name: "ResourceARN", pattern: resourceARNPattern, minLen: 1},
	{name: "ShardId", pattern: shardIDPattern, minLen: 1},
	{name: "ShardToSplit", pattern: shardIDPattern, minLen: 1},
	{name: "ShardToMerge", pattern: shardIDPattern, minLen: 1},
	{name: "AdjacentShardToMerge", pattern: shardIDPattern, minLen: 1},
	{name: "ExclusiveStartShardId", pattern: shardIDPattern, minLen: 1},
	{name: "ExclusiveStartStreamName", pattern: streamNamePattern, minLen: 1},
	{name: "ExclusiveStartTagKey", minLen: 1},
	{name: "NewStartingHashKey", pattern: explicitHashKeyPat},
	{name: "ExplicitHashKey", pattern: explicitHashKeyPat},
	{name: "PartitionKey", minLen: 1},
	{name: "SequenceNumberForOrdering", pattern: sequenceNumberPat},
	{name: "StartingSequenceNumber", pattern: sequenceNumberPat},
	{name: "ShardIterator", minLen: 1},
	{name: "ShardIteratorType", enum: iteratorTypes},
	{name: "NextToken", minLen: 1},
	{name: "KeyId", minLen: 1},
	{name: "EncryptionType", enum: []string{EncryptionNone, EncryptionKMS}},
	{name: "ScalingType", enum: []string{ScalingUniform}},
	{name: "Policy", minLen: 1},
}

// Patterns of the model not used elsewhere.
const (
	streamARNPattern   = `arn:aws.*:kinesis:.*:\d{12}:stream/\S+`
	resourceARNPattern = `arn:aws.*:kinesis:.*:\d{12}:.+`
	shardIDPattern     = `[a-zA-Z0-9_.-]+`
)

// MemberErrors is the ValidationException for top-level members a request sent as "" (empty) or left out though
// the action needs them (missing), named as sent ("StreamName"); nil when no member breaks a constraint (an empty
// member whose model allows "" is fine). It lists every failure, up to AWS's ten, each member's pattern before
// its length, as AWS words them.
func MemberErrors(empty, missing []string) error {
	var v validation
	for _, name := range missing {
		v.fail("null", lowerFirst(name), "Member must not be null")
	}
	for _, r := range memberRules {
		if !slices.Contains(empty, r.name) {
			continue
		}
		path := lowerFirst(r.name)
		switch {
		case r.enum != nil:
			v.enum("", r.enum, path)
		case r.pattern != "":
			v.pattern("", false, r.pattern, path) // every pattern here needs a character
		}
		if r.minLen > 0 {
			v.lenRange("", 0, r.minLen, 1<<31-1, path)
		}
	}
	return v.err()
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
