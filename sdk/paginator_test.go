package sdk

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeList serves a list of n items in pages of size, with bookmarks as a
// ledger query returns them: the key to continue from, empty at the end.
func fakeList(n, size int) func(ctx context.Context, bookmark string) ([]int, string, error) {
	return func(_ context.Context, bookmark string) ([]int, string, error) {
		start := 0
		if bookmark != "" {
			var err error
			if start, err = strconv.Atoi(bookmark); err != nil {
				return nil, "", err
			}
		}
		end := min(start+size, n)
		var items []int
		for i := start; i < end; i++ {
			items = append(items, i)
		}
		next := ""
		if end < n {
			next = strconv.Itoa(end)
		}
		return items, next, nil
	}
}

func TestPaginatorWalksEveryPageOnce(t *testing.T) {
	cases := []struct {
		name      string
		n, size   int
		wantPages int
	}{
		{"empty", 0, 10, 1},
		{"one partial page", 3, 10, 1},
		{"exact pages", 20, 10, 2},
		{"several pages", 25, 10, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPaginator(fakeList(tc.n, tc.size))
			var all []int
			pages := 0
			for p.HasMorePages() {
				items, err := p.NextPage(context.Background())
				require.NoError(t, err)
				all = append(all, items...)
				pages++
				require.LessOrEqual(t, pages, tc.n+1, "paginator does not stop")
			}
			require.Equal(t, tc.wantPages, pages)
			require.Len(t, all, tc.n)
			for i, v := range all {
				require.Equal(t, i, v)
			}
		})
	}
}

func TestPaginatorStopsOnABookmarkThatDoesNotMove(t *testing.T) {
	p := newPaginator(func(context.Context, string) ([]int, string, error) { return []int{1}, "same", nil })
	calls := 0
	for p.HasMorePages() && calls < 10 {
		_, err := p.NextPage(context.Background())
		require.NoError(t, err)
		calls++
	}
	require.Equal(t, 2, calls)
}

func TestPaginatorGoesOnAfterAnEmptyPageWithABookmark(t *testing.T) {
	// A filtered listing: keys 0..9 in pages of 3, only even keys visible.
	list := fakeList(10, 3)
	p := newPaginator(func(ctx context.Context, b string) ([]int, string, error) {
		items, next, err := list(ctx, b)
		var even []int
		for _, v := range items {
			if v%2 == 0 && v > 2 {
				even = append(even, v)
			}
		}
		return even, next, err
	})
	var all []int
	for p.HasMorePages() {
		items, err := p.NextPage(context.Background())
		require.NoError(t, err)
		all = append(all, items...)
	}
	require.Equal(t, []int{4, 6, 8}, all, "the empty first page did not end the walk")
}

func TestPaginatorRetriesTheSamePageAfterAnError(t *testing.T) {
	fail := true
	list := fakeList(15, 10)
	p := newPaginator(func(ctx context.Context, b string) ([]int, string, error) {
		if b != "" && fail {
			fail = false
			return nil, "", errors.New("unavailable")
		}
		return list(ctx, b)
	})
	first, err := p.NextPage(context.Background())
	require.NoError(t, err)
	require.Len(t, first, 10)
	_, err = p.NextPage(context.Background())
	require.Error(t, err)
	require.True(t, p.HasMorePages())
	second, err := p.NextPage(context.Background())
	require.NoError(t, err)
	require.Equal(t, []int{10, 11, 12, 13, 14}, second)
	require.False(t, p.HasMorePages())
}
