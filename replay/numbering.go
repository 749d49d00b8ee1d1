package replay

import (
	"fmt"
	"sort"
)

// numbering checks, while chunks are found by scanning, that they carry
// the numbers the writer gives them: 0, 1, 2, ... in file order. Every
// chunk is checksummed on its own, so a copy of one (a botched splice, a
// retried write, two files pasted together) passes every other check;
// only its number tells. Through the index the same rule is checked by
// readIndex.
type numbering struct {
	seen    map[uint32]ChunkInfo // the first chunk met with each number
	next    uint32               // the number the next chunk should carry
	prev    int64                // number of the last chunk accepted, -1 before the first
	checked int                  // problems already looked at for damage between chunks
	damaged bool                 // damage found since the last chunk accepted
	holes   []hole
}

// hole is a jump in the numbers of consecutive accepted chunks with
// nothing damaged between them: chunks cut out of the file, unless they
// turn up later, out of order.
type hole struct {
	at       int64  // offset of the chunk after the jump
	after    int64  // number of the chunk before it, -1 at the start
	from, to uint32 // the numbers missing, [from, to)
}

// accept decides whether chunk c, valid on its own, belongs where it
// stands; when not, it records why in r's problems.
func (n *numbering) accept(r *Reader, c ChunkInfo) bool {
	if n.seen == nil {
		n.seen, n.prev = map[uint32]ChunkInfo{}, -1
	}
	for _, p := range r.problems[n.checked:] {
		if p.Kind == KindCorrupt || p.Kind == KindIO {
			n.damaged = true // what was damaged may have been the missing chunks
		}
	}
	n.checked = len(r.problems)
	skip := func(kind, format string, args ...any) bool {
		r.problems = append(r.problems, Problem{Offset: c.Offset, Bytes: c.Size(), Kind: kind, Chunk: int64(c.Number),
			Records: int64(c.Records), Detail: fmt.Sprintf(format, args...)})
		n.checked = len(r.problems)
		return false
	}
	if first, ok := n.seen[c.Number]; ok {
		same := c
		same.Offset = first.Offset
		if same == first {
			return skip(KindDuplicate, "duplicated chunk: chunk %d (%d records) is a copy of the chunk at offset %d; its records would play twice",
				c.Number, c.Records, first.Offset)
		}
		return skip(KindOrder, "chunk number %d (%d records) again, with other contents than the chunk %d at offset %d: it belongs to another file or place",
			c.Number, c.Records, c.Number, first.Offset)
	}
	n.seen[c.Number] = c
	if c.Number < n.next {
		return skip(KindOrder, "chunk %d (%d records) out of order: it comes after chunk %d", c.Number, c.Records, n.prev)
	}
	if c.Number > n.next && !n.damaged {
		n.holes = append(n.holes, hole{at: c.Offset, after: n.prev, from: n.next, to: c.Number})
	}
	n.next, n.prev, n.damaged = c.Number+1, int64(c.Number), false
	return true
}

// finish reports the holes whose chunks never turned up and puts the
// problems in file order.
func (n *numbering) finish(r *Reader) {
	for _, h := range n.holes {
		var missing int64
		first := int64(-1)
		for k := h.from; k < h.to; k++ {
			if _, ok := n.seen[k]; !ok {
				missing++
				if first < 0 {
					first = int64(k)
				}
			}
		}
		if missing == 0 {
			continue // they are there, out of order, and reported as such
		}
		before := "the file header"
		if h.after >= 0 {
			before = fmt.Sprintf("chunk %d", h.after)
		}
		what := fmt.Sprintf("chunk %d is", first)
		if missing > 1 {
			what = fmt.Sprintf("%d chunks between %d and %d are", missing, h.from, h.to-1)
		}
		r.problems = append(r.problems, Problem{Offset: h.at, Kind: KindMissing, Chunk: first, Records: -1, MissingChunks: missing,
			Detail: fmt.Sprintf("missing chunks: chunk %d follows %s, so %s not in the file (cut out?)", h.to, before, what)})
	}
	sort.SliceStable(r.problems, func(i, j int) bool { return r.problems[i].Offset < r.problems[j].Offset })
}
