package engine

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"time"
)

// Shard iterators and pagination tokens are opaque to clients. They carry their state in the clear but are signed
// with the database's secret, so a tampered or foreign token is refused instead of being misread, and tokens stay
// valid across a restart.

const (
	iteratorTTL  = 5 * time.Minute
	nextTokenTTL = 5 * time.Minute
	macLen       = 12
	iterVersion  = 1
	iterBodyLen  = 1 + 8 + 4 + 8 + 8
)

// iterator is a decoded shard iterator: read the shard's records with counter ≥ from.
type iterator struct {
	stream uint64
	shard  int
	from   uint64
	issued time.Time
}

func (e *Engine) sealIterator(it iterator) string {
	b := make([]byte, 0, iterBodyLen+macLen)
	b = append(b, iterVersion)
	b = binary.BigEndian.AppendUint64(b, it.stream)
	b = binary.BigEndian.AppendUint32(b, uint32(it.shard))
	b = binary.BigEndian.AppendUint64(b, it.from)
	b = binary.BigEndian.AppendUint64(b, uint64(it.issued.UnixMilli()))
	b = append(b, e.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (e *Engine) openIterator(s string) (iterator, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != iterBodyLen+macLen || b[0] != iterVersion ||
		!hmac.Equal(b[iterBodyLen:], e.mac(b[:iterBodyLen])) {
		return iterator{}, newError(ErrInvalidArgument, "Invalid ShardIterator.")
	}
	return iterator{
		stream: binary.BigEndian.Uint64(b[1:9]),
		shard:  int(binary.BigEndian.Uint32(b[9:13])),
		from:   binary.BigEndian.Uint64(b[13:21]),
		issued: time.UnixMilli(int64(binary.BigEndian.Uint64(b[21:29]))),
	}, nil
}

func (e *Engine) mac(b []byte) []byte {
	m := hmac.New(sha256.New, e.secret)
	m.Write(b)
	return m.Sum(nil)[:macLen]
}

const (
	tokenListStreams = "ListStreams"
	tokenListShards  = "ListShards"
)

// pageToken is a NextToken: where the next page starts and what the first call asked for.
type pageToken struct {
	Kind     string
	Stream   uint64       `json:",omitempty"`
	After    string       `json:",omitempty"`
	Filter   *ShardFilter `json:",omitempty"`
	IssuedMs int64
}

func (e *Engine) sealToken(t pageToken) string {
	t.IssuedMs = e.now().UnixMilli()
	body, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(append(body, e.mac(body)...))
}

func (e *Engine) openToken(s, kind string) (pageToken, error) {
	invalid := newError(ErrInvalidArgument, "Invalid NextToken.")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) <= macLen {
		return pageToken{}, invalid
	}
	body := b[:len(b)-macLen]
	var t pageToken
	if !hmac.Equal(b[len(b)-macLen:], e.mac(body)) || json.Unmarshal(body, &t) != nil || t.Kind != kind {
		return pageToken{}, invalid
	}
	if e.now().Sub(time.UnixMilli(t.IssuedMs)) > nextTokenTTL {
		return pageToken{}, newError(ErrExpiredNextToken, "The NextToken has expired. It is valid for %d seconds.",
			int(nextTokenTTL.Seconds()))
	}
	return t, nil
}
