package lessons

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// StepError is a lesson whose Show-me path did not meet a step in time: the step, and each check as it stood.
type StepError struct {
	Lesson  string
	Step    int // from 1
	Title   string
	Results []Result
	Err     error // the Show-me action that failed, if one did
}

func (e *StepError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, step %d (%s): ", e.Lesson, e.Step, e.Title)
	if e.Err != nil {
		fmt.Fprintf(&b, "Show me failed: %v", e.Err)
		return b.String()
	}
	b.WriteString("not met in time:")
	for _, r := range e.Results {
		mark := "✗"
		if r.Met {
			mark = "✓"
		}
		fmt.Fprintf(&b, "\n  %s %s (%s)", mark, r.Want, r.Now)
	}
	return b.String()
}

// verifyPoll is how often Verify looks at a step's checks, as the Lessons screen does.
const verifyPoll = 200 * time.Millisecond

// Verify opens l on ws and walks its Show-me path: for each step it runs Show me, then waits for every check to
// hold, up to the step's Within. It removes what the lesson made before it returns.
func Verify(ctx context.Context, ws *Workspace, l *Lesson) error {
	s, err := Open(ctx, ws, l)
	if err != nil {
		return &StepError{Lesson: l.ID, Step: 0, Title: "setting up", Err: err}
	}
	defer s.Close()
	for i, step := range l.Steps {
		fail := func(err error, res []Result) error {
			return &StepError{Lesson: l.ID, Step: i + 1, Title: step.Title, Err: err, Results: res}
		}
		if err := s.ShowMe(ctx); err != nil {
			return fail(err, nil)
		}
		deadline := time.Now().Add(step.Within)
		for {
			st := s.Poll(ctx)
			if st.Met[i] {
				break
			}
			if time.Now().After(deadline) {
				return fail(nil, st.Results)
			}
			select {
			case <-ctx.Done():
				return fail(ctx.Err(), st.Results)
			case <-time.After(verifyPoll):
			}
		}
	}
	return nil
}
