package engine

import (
	"context"
	"encoding/json"
)

// Kinesis's resource-based actions address a stream by ARN: tags (TagResource and friends, the newer twins of
// AddTagsToStream) and resource policies.

const maxPolicyBytes = 20480

// TagResource adds or overwrites tags on the stream named by resourceARN.
func (e *Engine) TagResource(ctx context.Context, resourceARN string, tags map[string]string) error {
	ref, err := resourceRef(resourceARN)
	if err != nil {
		return err
	}
	return e.AddTagsToStream(ctx, ref, tags)
}

// UntagResource removes tags from the stream named by resourceARN.
func (e *Engine) UntagResource(ctx context.Context, resourceARN string, keys []string) error {
	ref, err := resourceRef(resourceARN)
	if err != nil {
		return err
	}
	return e.RemoveTagsFromStream(ctx, ref, keys)
}

// ListTagsForResource lists every tag of the stream named by resourceARN.
func (e *Engine) ListTagsForResource(ctx context.Context, resourceARN string) ([]Tag, error) {
	ref, err := resourceRef(resourceARN)
	if err != nil {
		return nil, err
	}
	out, err := e.ListTagsForStream(ctx, ref, "", nil)
	if err != nil {
		return nil, err
	}
	return out.Tags, nil
}

// PutResourcePolicy attaches a resource-based policy (a JSON document) to the stream named by resourceARN.
func (e *Engine) PutResourcePolicy(ctx context.Context, resourceARN, policy string) error {
	var v validation
	if v.notNull(policy != "", "policy") {
		v.lenRange("…", len(policy), 1, maxPolicyBytes, "policy")
	}
	if err := v.err(); err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return newError(ErrInvalidArgument, "Policy is not a valid JSON document: %v.", err)
	}
	if _, ok := doc["Statement"]; !ok {
		return newError(ErrInvalidArgument, "Policy has no Statement.")
	}
	ref, err := resourceRef(resourceARN)
	if err != nil {
		return err
	}
	return e.changeMeta(ctx, ref, func(_ *stream, m *streamMeta) error {
		m.Policy = policy
		return nil
	})
}

// GetResourcePolicy returns the stream's policy, or "" when it has none (as Kinesis answers with "{}").
func (e *Engine) GetResourcePolicy(ctx context.Context, resourceARN string) (string, error) {
	ref, err := resourceRef(resourceARN)
	if err != nil {
		return "", err
	}
	s, err := e.lookup(ctx, ref)
	if err != nil {
		return "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.meta.Policy, nil
}

// DeleteResourcePolicy removes the stream's policy.
func (e *Engine) DeleteResourcePolicy(ctx context.Context, resourceARN string) error {
	ref, err := resourceRef(resourceARN)
	if err != nil {
		return err
	}
	return e.changeMeta(ctx, ref, func(s *stream, m *streamMeta) error {
		if m.Policy == "" {
			return newError(ErrResourceNotFound, "No resource policy found for resource %s.", resourceARN)
		}
		m.Policy = ""
		return nil
	})
}

func resourceRef(resourceARN string) (StreamRef, error) {
	var v validation
	if v.notNull(resourceARN != "", "resourceARN") {
		v.lenRange(resourceARN, len(resourceARN), 1, 2048, "resourceARN")
	}
	if err := v.err(); err != nil {
		return StreamRef{}, err
	}
	if _, err := parseStreamARN(resourceARN); err != nil {
		return StreamRef{}, err
	}
	return StreamRef{StreamARN: resourceARN}, nil
}
