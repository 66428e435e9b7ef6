package kinesisapi

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/shardlab/shardlab/internal/b64"
)

// GetRecords answers carry up to 10 MiB of base64; encoding them by reflection took more CPU than reading them
// from disk. appendJSON writes the same document encoding/json would, straight into a pooled buffer (a test
// compares the two byte for byte).
func (o *getRecordsOut) appendJSON(b []byte) []byte {
	b = append(b, `{"Records":[`...)
	for i, r := range o.Records {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"SequenceNumber":`...)
		b = appendJSONString(b, r.SequenceNumber)
		if r.ApproximateArrivalTimestamp != nil {
			b = append(b, `,"ApproximateArrivalTimestamp":`...)
			b = appendEpochSeconds(b, r.ApproximateArrivalTimestamp.UnixMilli())
		}
		b = append(b, `,"Data":`...)
		if r.Data == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '"')
			b = b64.AppendEncode(b, r.Data)
			b = append(b, '"')
		}
		b = append(b, `,"PartitionKey":`...)
		b = appendJSONString(b, r.PartitionKey)
		if r.EncryptionType != "" {
			b = append(b, `,"EncryptionType":`...)
			b = appendJSONString(b, r.EncryptionType)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if o.NextShardIterator != "" {
		b = append(b, `,"NextShardIterator":`...)
		b = appendJSONString(b, o.NextShardIterator)
	}
	b = append(b, `,"MillisBehindLatest":`...)
	b = strconv.AppendInt(b, o.MillisBehindLatest, 10)
	if len(o.ChildShards) > 0 {
		children, _ := json.Marshal(o.ChildShards) // rare: once per closed shard
		b = append(append(b, `,"ChildShards":`...), children...)
	}
	return append(b, '}')
}

// jsonSize estimates the document's length from above for plain keys, so one pooled buffer holds it.
func (o *getRecordsOut) jsonSize() int {
	n := 128 + len(o.NextShardIterator) + 512*len(o.ChildShards)
	for _, r := range o.Records {
		n += 128 + len(r.SequenceNumber) + base64.StdEncoding.EncodedLen(len(r.Data)) + len(r.PartitionKey)
	}
	return n
}

// appendJSON writes a PutRecords answer, 500 results at the most, without reflection.
func (o *putRecordsOut) appendJSON(b []byte) []byte {
	b = append(b, `{"FailedRecordCount":`...)
	b = strconv.AppendInt(b, int64(o.FailedRecordCount), 10)
	b = append(b, `,"Records":[`...)
	for i, r := range o.Records {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		sep := false
		for _, f := range [...]struct{ name, value string }{{"SequenceNumber", r.SequenceNumber},
			{"ShardId", r.ShardId}, {"ErrorCode", r.ErrorCode}, {"ErrorMessage", r.ErrorMessage}} {
			if f.value == "" {
				continue
			}
			if sep {
				b = append(b, ',')
			}
			b = append(append(append(b, '"'), f.name...), `":`...)
			b = appendJSONString(b, f.value)
			sep = true
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if o.EncryptionType != "" {
		b = append(b, `,"EncryptionType":`...)
		b = appendJSONString(b, o.EncryptionType)
	}
	return append(b, '}')
}

func (o *putRecordsOut) jsonSize() int {
	n := 96
	for _, r := range o.Records {
		n += 64 + len(r.SequenceNumber) + len(r.ShardId) + len(r.ErrorCode) + 2*len(r.ErrorMessage)
	}
	return n
}

// appendJSONString appends s quoted as encoding/json quotes it: plain printable ASCII directly, anything else
// through encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendEpochSeconds writes milliseconds since the epoch as the seconds encoding/json writes for a timestamp,
// strconv.AppendFloat(float64(ms)/1000, 'f', -1, 64), without the float formatting, which was 4 % of a GetRecords
// call's CPU. The two agree while a float64's spacing stays below a millisecond: the decimal with at most three
// fraction digits is then the only one that short which reads back as the same float64.
func appendEpochSeconds(b []byte, ms int64) []byte {
	if ms < 0 || ms >= 1e15 {
		return strconv.AppendFloat(b, float64(ms)/1000, 'f', -1, 64)
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	frac := ms % 1000
	if frac == 0 {
		return b
	}
	d := [4]byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	n := 4
	for d[n-1] == '0' {
		n--
	}
	return append(b, d[:n]...)
}
