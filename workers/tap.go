package workers

import (
	"bufio"
	"encoding/hex"
	"io"
	"strconv"
	"sync"

	"github.com/bbox-dev/bbox/feed"
)

// Tap writes one text line per record to w:
//
//	PUBLISHER EPOCH SHARD PARTITION SEQ TOPIC [PAYLOAD]
//
// (publisher in hex, the rest in decimal; PAYLOAD, in hex or "-" when
// empty, only if Payload is set). It is how an operator — or a
// test — proves which records reached which worker. A Tap is safe for
// concurrent use; each Write call appends whole lines.
type Tap struct {
	// Payload adds each record's payload as a last field; set it before
	// the first Write. It is how a test proves payloads arrive intact.
	Payload bool

	mu sync.Mutex
	w  *bufio.Writer
}

// NewTap returns a Tap writing to w; call Flush when done.
func NewTap(w io.Writer) *Tap { return &Tap{w: bufio.NewWriterSize(w, 256<<10)} }

// Write appends the lines of recs.
func (t *Tap) Write(recs []feed.Record) {
	line := make([]byte, 0, 96)
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range recs {
		r := &recs[i]
		line = strconv.AppendUint(line[:0], r.Publisher, 16)
		line = append(line, ' ')
		line = strconv.AppendUint(line, r.Epoch, 10)
		line = append(line, ' ')
		line = strconv.AppendUint(line, uint64(r.Shard), 10)
		line = append(line, ' ')
		line = strconv.AppendUint(line, uint64(r.Partition), 10)
		line = append(line, ' ')
		line = strconv.AppendUint(line, r.Seq, 10)
		line = append(line, ' ')
		line = append(line, r.Topic...)
		if t.Payload {
			line = append(line, ' ')
			if len(r.Payload) == 0 {
				line = append(line, '-')
			}
			line = hex.AppendEncode(line, r.Payload)
		}
		line = append(line, '\n')
		t.w.Write(line)
	}
}

// Flush writes buffered lines.
func (t *Tap) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.w.Flush()
}
