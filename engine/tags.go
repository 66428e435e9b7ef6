package engine

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/shardlab/shardlab/engine/storage"
)

// Tag is one stream tag.
type Tag struct{ Key, Value string }

// ListTagsOutput mirrors ListTagsForStream.
type ListTagsOutput struct {
	Tags        []Tag
	HasMoreTags bool
}

// AddTagsToStream adds or overwrites tags; a stream holds at most 50.
func (e *Engine) AddTagsToStream(ctx context.Context, ref StreamRef, tags map[string]string) error {
	var v validation
	validateRef(&v, ref)
	if v.notNull(tags != nil, "tags") {
		v.lenRange(mapValue(len(tags)), len(tags), 1, maxTagsPerStream, "tags")
		validateTags(&v, tags, "tags")
	}
	if err := v.err(); err != nil {
		return err
	}
	return e.changeTags(ctx, ref, func(s *stream, cur map[string]string) error {
		if err := checkTagChars(tags, nil); err != nil {
			return err
		}
		for k, val := range tags {
			cur[k] = val
		}
		if len(cur) > maxTagsPerStream {
			return newError(ErrInvalidArgument, "Failed to add tags to stream %s under account %s because a given "+
				"stream cannot have more than %d tags associated with it.", s.name, s.account, maxTagsPerStream)
		}
		return nil
	})
}

// RemoveTagsFromStream removes tags by key; unknown keys are ignored, as in Kinesis.
func (e *Engine) RemoveTagsFromStream(ctx context.Context, ref StreamRef, keys []string) error {
	var v validation
	validateRef(&v, ref)
	if v.notNull(keys != nil, "tagKeys") {
		v.lenRange(listValue(keys), len(keys), 1, maxTagsPerStream, "tagKeys")
		for i, k := range keys {
			validateTagKey(&v, k, "tagKeys."+strconv.Itoa(i+1)+".member")
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	return e.changeTags(ctx, ref, func(_ *stream, cur map[string]string) error {
		if err := checkTagChars(nil, keys); err != nil {
			return err
		}
		for _, k := range keys {
			delete(cur, k)
		}
		return nil
	})
}

func (e *Engine) changeTags(ctx context.Context, ref StreamRef, change func(*stream, map[string]string) error) error {
	return e.onStream(ctx, ref, func(s *stream, tx *storage.Tx) (func(), error) {
		tags := copyTags(s.tags)
		if err := change(s, tags); err != nil {
			return nil, err
		}
		if err := tx.SetTags(s.id, tags); err != nil {
			return nil, err
		}
		return func() {
			s.mu.Lock()
			s.tags = tags
			s.mu.Unlock()
		}, nil
	})
}

// ListTagsForStream lists tags by key, after ExclusiveStartTagKey, at most limit (1–50, default 50).
func (e *Engine) ListTagsForStream(ctx context.Context, ref StreamRef, exclusiveStartTagKey string, limit *int) (*ListTagsOutput, error) {
	var v validation
	validateRef(&v, ref)
	if limit != nil {
		v.intRange(int64(*limit), 1, maxTagsPerStream, "limit")
	}
	if exclusiveStartTagKey != "" { // any characters: it is only a place in the key order
		v.lenRange(exclusiveStartTagKey, len([]rune(exclusiveStartTagKey)), 1, 128, "exclusiveStartTagKey")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	n := maxTagsPerStream
	if limit != nil {
		n = *limit
	}
	s.mu.RLock()
	keys := make([]string, 0, len(s.tags))
	for k := range s.tags {
		if k > exclusiveStartTagKey {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := &ListTagsOutput{Tags: []Tag{}}
	for _, k := range keys {
		if len(out.Tags) == n {
			out.HasMoreTags = true
			break
		}
		out.Tags = append(out.Tags, Tag{k, s.tags[k]})
	}
	s.mu.RUnlock()
	return out, nil
}

// validateTags checks the tags' counts and lengths, the model's constraints (ValidationException). Their
// characters are checked once the stream is found (checkTagChars), as Kinesis does: a bad character on a
// missing stream is ResourceNotFoundException.
func validateTags(v *validation, tags map[string]string, path string) {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		validateTagKey(v, k, path+"."+k+".key")
		v.lenRange(tags[k], len([]rune(tags[k])), 0, 256, path+"."+k+".value")
	}
}

func validateTagKey(v *validation, k, path string) {
	v.lenRange(k, len([]rune(k)), 1, 128, path)
}

// checkTagChars refuses tag keys and values outside Kinesis's character set: Unicode letters, digits, spaces
// (not tabs or line breaks) and _ . / = + - % @ (and :, which AWS tagging allows).
func checkTagChars(tags map[string]string, keys []string) error {
	bad := false
	for k, val := range tags {
		bad = bad || !validTagChars(k) || !validTagChars(val)
	}
	for _, k := range keys {
		bad = bad || !validTagChars(k)
	}
	if bad {
		return newError(ErrInvalidArgument, "Some tags contain invalid characters. Valid characters: Unicode letters, "+
			"digits, white space, _ . / = + - %% @.")
	}
	return nil
}

func validTagChars(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Zs, r) && !containsRune("_./=+-%@:", r) {
			return false
		}
	}
	return true
}

func containsRune(set string, r rune) bool {
	for _, c := range set {
		if c == r {
			return true
		}
	}
	return false
}

func copyTags(t map[string]string) map[string]string {
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

func mapValue(n int) string       { return "{" + strconv.Itoa(n) + " entries}" }
func listValue(l []string) string { return "[" + strings.Join(l, ", ") + "]" }
