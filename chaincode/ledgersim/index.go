package ledgersim

import "sort"

// chunkMax bounds a chunk of the key index: inserting a key moves at most
// this many strings, whatever the size of the ledger.
const chunkMax = 512

// keyIndex is a namespace's keys in ascending byte order (LevelDB's order),
// stored as a list of sorted chunks so an insert costs O(log n + chunkMax)
// instead of moving the whole ledger's keys. It holds every key ever written
// (deleted ones too: their history stays readable). It needs the ledger lock.
type keyIndex struct {
	chunks [][]string
}

// seek returns the position of the first key >= k; ci == len(chunks) at the end.
func (ix *keyIndex) seek(k string) (ci, i int) {
	ci = sort.Search(len(ix.chunks), func(n int) bool {
		c := ix.chunks[n]
		return c[len(c)-1] >= k
	})
	if ci == len(ix.chunks) {
		return ci, 0
	}
	return ci, sort.SearchStrings(ix.chunks[ci], k)
}

// insert adds k if it is not there yet.
func (ix *keyIndex) insert(k string) {
	if len(ix.chunks) == 0 {
		ix.chunks = [][]string{{k}}
		return
	}
	ci, i := ix.seek(k)
	if ci == len(ix.chunks) { // after every key: append to the last chunk
		ci = len(ix.chunks) - 1
		i = len(ix.chunks[ci])
	}
	c := ix.chunks[ci]
	if i < len(c) && c[i] == k {
		return
	}
	c = append(c, "")
	copy(c[i+1:], c[i:])
	c[i] = k
	if len(c) <= chunkMax {
		ix.chunks[ci] = c
		return
	}
	half := len(c) / 2
	left := append(make([]string, 0, chunkMax), c[:half]...)
	right := append(make([]string, 0, chunkMax), c[half:]...)
	ix.chunks = append(ix.chunks, nil)
	copy(ix.chunks[ci+2:], ix.chunks[ci+1:])
	ix.chunks[ci], ix.chunks[ci+1] = left, right
}

// ascend calls fn with each key >= from in order until fn returns false.
func (ix *keyIndex) ascend(from string, fn func(key string) bool) {
	ci, i := ix.seek(from)
	for ; ci < len(ix.chunks); ci, i = ci+1, 0 {
		for c := ix.chunks[ci]; i < len(c); i++ {
			if !fn(c[i]) {
				return
			}
		}
	}
}

// successor is the smallest string greater than k: resuming a scan there
// skips k even if keys were inserted meanwhile.
func successor(k string) string { return k + "\x00" }
