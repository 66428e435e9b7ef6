package video

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// Timestamp origins: a fragment's producer timestamp (the media's own clock) or server timestamp (when it was
// stored). ListFragments selects by either, and GetMedia starts at either.
const (
	ProducerTimestamp = "PRODUCER_TIMESTAMP"
	ServerTimestamp   = "SERVER_TIMESTAMP"
)

// Page sizes of ListFragmentsPage, as KVS has them.
const (
	DefaultMaxResults = 100
	MaxMaxResults     = 1000
)

// FragmentSelector picks fragments whose producer or server timestamps fall in a range, as KVS's does.
type FragmentSelector struct {
	FragmentSelectorType string // ProducerTimestamp or ServerTimestamp
	// StartTimestamp and EndTimestamp bound the range, both included; a zero time leaves that end open.
	StartTimestamp, EndTimestamp time.Time
}

// ListFragmentsInput is what ListFragmentsPage takes.
type ListFragmentsInput struct {
	StreamName string
	// FragmentSelector picks by timestamp; nil lists every stored fragment. A NextToken carries the selector of
	// the listing it continues, so one given with it is not used.
	FragmentSelector *FragmentSelector
	MaxResults       int // 1–MaxMaxResults; 0 means DefaultMaxResults
	NextToken        string
}

// ListFragmentsOutput is one page of fragments, oldest first; NextToken is empty on the last page.
type ListFragmentsOutput struct {
	Fragments []FragmentInfo
	NextToken string
}

// listToken is what a NextToken carries: the listing it continues and where it stopped.
type listToken struct {
	Stream string    `json:"s"`
	Type   string    `json:"t,omitempty"`
	Start  time.Time `json:"a,omitzero"`
	End    time.Time `json:"b,omitzero"`
	After  uint64    `json:"n"`
}

// Validate checks the input, naming the field and its limit.
func (in ListFragmentsInput) Validate() error {
	if in.MaxResults < 0 || in.MaxResults > MaxMaxResults {
		return fmt.Errorf("MaxResults: %d is outside 1–%d", in.MaxResults, MaxMaxResults)
	}
	if in.NextToken != "" {
		_, err := in.token()
		return err
	}
	if sel := in.FragmentSelector; sel != nil {
		if sel.FragmentSelectorType != ProducerTimestamp && sel.FragmentSelectorType != ServerTimestamp {
			return fmt.Errorf("FragmentSelector.FragmentSelectorType: %q is not %s or %s", sel.FragmentSelectorType, ProducerTimestamp, ServerTimestamp)
		}
		if !sel.StartTimestamp.IsZero() && !sel.EndTimestamp.IsZero() && sel.EndTimestamp.Before(sel.StartTimestamp) {
			return fmt.Errorf("FragmentSelector.TimestampRange: EndTimestamp %s is before StartTimestamp %s",
				sel.EndTimestamp.Format(time.RFC3339Nano), sel.StartTimestamp.Format(time.RFC3339Nano))
		}
	}
	return nil
}

// token is the listing to run: the one NextToken continues, or a new one from the selector.
func (in ListFragmentsInput) token() (listToken, error) {
	if in.NextToken == "" {
		tok := listToken{Stream: in.StreamName}
		if sel := in.FragmentSelector; sel != nil {
			tok.Type, tok.Start, tok.End = sel.FragmentSelectorType, sel.StartTimestamp, sel.EndTimestamp
		}
		return tok, nil
	}
	var tok listToken
	raw, err := base64.RawURLEncoding.DecodeString(in.NextToken)
	if err == nil {
		err = json.Unmarshal(raw, &tok)
	}
	if err != nil || tok.Stream != in.StreamName {
		return tok, fmt.Errorf("NextToken: not a token of a ListFragments of stream %s", in.StreamName)
	}
	return tok, nil
}

func (t listToken) String() string {
	b, _ := json.Marshal(t) // plain fields: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// ListFragmentsPage returns a page of a stream's stored fragments, by producer or server timestamp.
func (s *Store) ListFragmentsPage(in ListFragmentsInput) (ListFragmentsOutput, error) {
	if err := in.Validate(); err != nil {
		return ListFragmentsOutput{}, err
	}
	tok, _ := in.token() // validated
	limit := in.MaxResults
	if limit == 0 {
		limit = DefaultMaxResults
	}
	var out ListFragmentsOutput
	more := false
	err := s.scanFragments(in.StreamName, tok.After, func(fi FragmentInfo) bool {
		at := fi.ProducerTimestamp
		if tok.Type == ServerTimestamp {
			at = fi.ServerTimestamp
		}
		if (!tok.Start.IsZero() && at.Before(tok.Start)) || (!tok.End.IsZero() && at.After(tok.End)) {
			return true
		}
		if len(out.Fragments) == limit {
			more = true
			return false
		}
		out.Fragments = append(out.Fragments, fi)
		return true
	})
	if more {
		tok.After = out.Fragments[len(out.Fragments)-1].Number
		out.NextToken = tok.String()
	}
	return out, err
}
