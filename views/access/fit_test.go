package access

import (
	"context"
	"testing"

	"github.com/shardlab/shardlab/views/ui/uitest"
)

// TestFitsBesideALessonPanel: with a user, its key and a policy shown, the screen still fits the ~680 px a lesson's
// step panel leaves it at 1280×720 (a long ARN or document scrolls instead of widening the window).
func TestFitsBesideALessonPanel(t *testing.T) {
	s, env, _ := newScreen(t)
	ctx := context.Background()
	env.Access.Store.CreateUser(ctx, "a-user-with-a-rather-long-name-for-testing")
	env.Access.Store.CreateAccessKey(ctx, "a-user-with-a-rather-long-name-for-testing")
	env.Access.Store.PutUserPolicy(ctx, "a-user-with-a-rather-long-name-for-testing", "p", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["kinesis:PutRecord","kinesis:PutRecords","kinesis:DescribeStreamSummary"],"Resource":"arn:aws:kinesis:us-east-1:000000000000:stream/a-stream-with-a-long-name"}}`)
	uitest.UI(func() {
		s.refresh()
		s.identities.list.Select(0)
		for i, tab := range s.tabs.Items {
			s.tabs.SelectIndex(i)
			if w := s.root.MinSize().Width; w > 680 {
				t.Errorf("tab %s needs %.0f px", tab.Text, w)
			}
		}
	})
}
