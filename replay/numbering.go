package replay

import (
	"fmt"
	"sort"
)

// checkNumbers checks, once chunks have been found by scanning, that they
// carry the numbers the writer gives them: 0, 1, 2, ... in file order.
// Every chunk is checksummed on its own, so a copy of one (a botched
// splice, a retried write), a chunk moved, or one pasted from another file
// passes every other check; only its number tells. Through the index the
// same rule is checked by readIndex.
//
// A byte-for-byte copy of an earlier chunk header is a duplicate. Of the
// rest, the chunks kept are the longest subsequence, in file order, whose
// numbers increase (so one stray chunk, whatever its number, cannot make
// the good ones after it look out of place); the others are out of order.
// Numbers the kept chunks jump over, found nowhere in the file and with no
// damage between the two chunks to explain them, are missing.
func (r *Reader) checkNumbers() {
	cs := r.chunks
	if len(cs) == 0 {
		return
	}
	problem := func(c ChunkInfo, kind, format string, args ...any) {
		r.problems = append(r.problems, Problem{Offset: c.Offset, Bytes: c.Size(), Kind: kind, Chunk: int64(c.Number),
			Records: int64(c.Records), Detail: fmt.Sprintf(format, args...)})
	}
	first := map[uint32]int{} // number → the first chunk carrying it
	var rest []int            // the chunks that are not copies
	for i, c := range cs {
		if j, ok := first[c.Number]; ok {
			same := c
			same.Offset = cs[j].Offset
			if same == cs[j] {
				problem(c, KindDuplicate, "duplicated chunk: chunk %d (%d records) is a copy of the chunk at offset %d; its records would play twice",
					c.Number, c.Records, cs[j].Offset)
				continue
			}
		} else {
			first[c.Number] = i
		}
		rest = append(rest, i)
	}
	keep := increasing(cs, rest)
	kept := make([]ChunkInfo, 0, len(keep))
	keptNum := map[uint32]int64{} // number → offset of the kept chunk
	for _, i := range keep {
		kept = append(kept, cs[i])
		keptNum[cs[i].Number] = cs[i].Offset
	}
	k := 0
	for _, i := range rest {
		if k < len(keep) && keep[k] == i {
			k++
			continue
		}
		c := cs[i]
		if off, ok := keptNum[c.Number]; ok {
			problem(c, KindOrder, "chunk number %d (%d records) again, with other contents than the chunk %d at offset %d: it belongs to another file or place",
				c.Number, c.Records, c.Number, off)
			continue
		}
		after := "the file header"
		if k > 0 {
			after = fmt.Sprintf("chunk %d", cs[keep[k-1]].Number)
		}
		problem(c, KindOrder, "chunk %d (%d records) out of order: it comes after %s", c.Number, c.Records, after)
	}
	r.missing(kept, first)
	r.chunks = kept
	sort.SliceStable(r.problems, func(i, j int) bool { return r.problems[i].Offset < r.problems[j].Offset })
}

// missing reports the numbers the kept chunks jump over that no chunk of
// the file carries, unless damage between the two chunks explains them.
// The work is bounded by the chunks in the file, not by the size of a jump
// (a header may claim chunk 4,000,000,000).
func (r *Reader) missing(kept []ChunkInfo, present map[uint32]int) {
	damaged := func(from, to int64) bool {
		for _, p := range r.problems {
			if (p.Kind == KindCorrupt || p.Kind == KindIO) && p.Offset >= from && p.Offset < to {
				return true
			}
		}
		return false
	}
	nums := make([]int64, 0, len(present))
	for k := range present {
		nums = append(nums, int64(k))
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	prevNum, prevEnd := int64(-1), int64(r.header.Len)
	for _, c := range kept {
		from, to := prevNum+1, int64(c.Number)
		if to > from && !damaged(prevEnd, c.Offset) {
			lo := sort.Search(len(nums), func(i int) bool { return nums[i] >= from })
			hi := sort.Search(len(nums), func(i int) bool { return nums[i] >= to })
			firstMissing := from
			for j := lo; j < hi && nums[j] == firstMissing; j++ {
				firstMissing++
			}
			if n := to - from - int64(hi-lo); n > 0 {
				before := "the file header"
				if prevNum >= 0 {
					before = fmt.Sprintf("chunk %d", prevNum)
				}
				what := fmt.Sprintf("chunk %d is", firstMissing)
				if n > 1 {
					what = fmt.Sprintf("%d chunks between %d and %d are", n, from, to-1)
				}
				r.problems = append(r.problems, Problem{Offset: c.Offset, Kind: KindMissing, Chunk: firstMissing, Records: -1, MissingChunks: n,
					Detail: fmt.Sprintf("missing chunks: chunk %d follows %s, so %s not in the file (cut out?)", c.Number, before, what)})
			}
		}
		prevNum, prevEnd = int64(c.Number), c.Offset+c.Size()
	}
}

// increasing returns the longest subsequence of idx (indices into cs, in
// file order) whose chunk numbers strictly increase: patience sorting,
// O(n log n).
func increasing(cs []ChunkInfo, idx []int) []int {
	tails := []int{}              // tails[l]: position in idx of the smallest last chunk of a run of length l+1
	prev := make([]int, len(idx)) // position in idx of the run's previous element, -1 at its start
	for p, i := range idx {
		n := cs[i].Number
		l := sort.Search(len(tails), func(k int) bool { return cs[idx[tails[k]]].Number >= n })
		prev[p] = -1
		if l > 0 {
			prev[p] = tails[l-1]
		}
		if l == len(tails) {
			tails = append(tails, p)
		} else {
			tails[l] = p
		}
	}
	out := make([]int, len(tails))
	for p, k := tails[len(tails)-1], len(tails)-1; k >= 0; p, k = prev[p], k-1 {
		out[k] = idx[p]
	}
	return out
}
