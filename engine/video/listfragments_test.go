package video

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/engine/video/container"
)

// putSpaced stores n short fragments 30 ms apart, with producer timestamps running backwards a minute each (so a
// producer range and a server range pick different fragments), and returns their descriptions.
func putSpaced(t *testing.T, s *Store, name string, n int, base time.Time) []FragmentInfo {
	t.Helper()
	var infos []FragmentInfo
	for i := range n {
		if i > 0 {
			time.Sleep(30 * time.Millisecond)
		}
		info, _, err := s.PutFragment(name, container.Fragment{Duration: 10 * time.Millisecond, Data: []byte{byte(i)}, Frames: 1},
			base.Add(-time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, info)
	}
	return infos
}

func numbers(frags []FragmentInfo) []uint64 {
	var out []uint64
	for _, f := range frags {
		out = append(out, f.Number)
	}
	return out
}

// TestListFragmentsBySelectorAndPage: producer and server timestamp ranges pick their own fragments; pages of
// MaxResults carry a NextToken (holding the selector) until the last; bad input is refused naming the field.
func TestListFragmentsBySelectorAndPage(t *testing.T) {
	s, _ := newStore(t, "cam", "other")
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	infos := putSpaced(t, s, "cam", 6, base)
	list := func(in ListFragmentsInput) ListFragmentsOutput {
		t.Helper()
		in.StreamName = "cam"
		out, err := s.ListFragmentsPage(in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	byProducer := &FragmentSelector{FragmentSelectorType: ProducerTimestamp, StartTimestamp: base.Add(-3 * time.Minute), EndTimestamp: base.Add(-time.Minute)}
	if got := list(ListFragmentsInput{FragmentSelector: byProducer}); !slices.Equal(numbers(got.Fragments), []uint64{2, 3, 4}) || got.NextToken != "" {
		t.Fatalf("by producer time: %v %q", numbers(got.Fragments), got.NextToken)
	}
	byServer := &FragmentSelector{FragmentSelectorType: ServerTimestamp, StartTimestamp: infos[2].ServerTimestamp, EndTimestamp: infos[5].ServerTimestamp}
	if got := list(ListFragmentsInput{FragmentSelector: byServer}); !slices.Equal(numbers(got.Fragments), []uint64{3, 4, 5, 6}) {
		t.Fatalf("by server time: %v", numbers(got.Fragments))
	}
	open := &FragmentSelector{FragmentSelectorType: ServerTimestamp, StartTimestamp: infos[4].ServerTimestamp}
	if got := list(ListFragmentsInput{FragmentSelector: open}); !slices.Equal(numbers(got.Fragments), []uint64{5, 6}) {
		t.Fatalf("from a server time on: %v", numbers(got.Fragments))
	}
	var pages [][]uint64
	for in := (ListFragmentsInput{MaxResults: 2}); ; {
		page := list(in)
		pages = append(pages, numbers(page.Fragments))
		if page.NextToken == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	if len(pages) != 3 || !slices.Equal(pages[2], []uint64{5, 6}) {
		t.Fatalf("pages %v", pages)
	}
	first := list(ListFragmentsInput{FragmentSelector: byServer, MaxResults: 3})
	rest := list(ListFragmentsInput{NextToken: first.NextToken, MaxResults: 3, FragmentSelector: byProducer})
	if !slices.Equal(numbers(first.Fragments), []uint64{3, 4, 5}) || !slices.Equal(numbers(rest.Fragments), []uint64{6}) || rest.NextToken != "" {
		t.Fatalf("a token keeps its selector: %v then %v", numbers(first.Fragments), numbers(rest.Fragments))
	}
	for _, c := range []struct {
		in  ListFragmentsInput
		say string
	}{
		{ListFragmentsInput{StreamName: "cam", MaxResults: 1001}, "MaxResults: 1001 is outside 1–1000"},
		{ListFragmentsInput{StreamName: "cam", MaxResults: -1}, "MaxResults"},
		{ListFragmentsInput{StreamName: "cam", FragmentSelector: &FragmentSelector{FragmentSelectorType: "ARRIVAL"}}, "FragmentSelector.FragmentSelectorType"},
		{ListFragmentsInput{StreamName: "cam", FragmentSelector: &FragmentSelector{FragmentSelectorType: ProducerTimestamp,
			StartTimestamp: base, EndTimestamp: base.Add(-time.Second)}}, "EndTimestamp"},
		{ListFragmentsInput{StreamName: "other", NextToken: first.NextToken}, "NextToken: not a token of a ListFragments of stream other"},
		{ListFragmentsInput{StreamName: "cam", NextToken: "garbage!"}, "NextToken"},
		{ListFragmentsInput{StreamName: "nope"}, "not found"},
	} {
		if _, err := s.ListFragmentsPage(c.in); err == nil || !strings.Contains(err.Error(), c.say) {
			t.Fatalf("%+v: %v", c.in, err)
		}
	}
}
